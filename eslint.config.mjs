import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', '.tools/', 'coverage/', 'scripts/postgres-server.mjs', 'eslint.config.mjs', 'jest.config.js'] },
  ...tseslint.configs.recommended,
  { files: ['**/*.js'], languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'readonly' } }, rules: { '@typescript-eslint/no-require-imports': 'off' } },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // Workflow code is replayed: it must stay deterministic and free of I/O.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Node built-ins are not allowed in workflow code (determinism).' })),
          patterns: [
            {
              regex: '^(?!@temporalio/workflow$|\\./|\\.\\./activities(/|$)|node:|(' + builtinModules.join('|') + ')(/|$))',
              message: 'Workflow code may import only @temporalio/workflow, its own folder and activity types.',
            },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      // Activities are reachable only as types (proxyActivities), never as code.
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['../activities', '../activities/*'], allowTypeImports: true, message: 'Import activities with `import type` only.' }] },
      ],
    },
  },
);
