/** Variables global setup publishes to every test file. */
export const testEnv = {
  temporalAddress: 'CAPFLOW_TEST_TEMPORAL_ADDRESS',
  databaseUrl: 'CAPFLOW_TEST_DATABASE_URL',
  workflowBundle: 'CAPFLOW_TEST_WORKFLOW_BUNDLE',
  scratchDir: 'CAPFLOW_TEST_SCRATCH_DIR',
} as const;

export function requireTestEnv(name: keyof typeof testEnv): string {
  const value = process.env[testEnv[name]];
  if (!value) throw new Error(`${testEnv[name]} is not set: run the tests with \`npm test\` (global setup starts the stack)`);
  return value;
}
