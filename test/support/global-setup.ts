import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { freePort } from '../../scripts/free-port';
import { startLocalPostgres, type LocalPostgres } from '../../scripts/local-postgres';
import { resolveTemporalCli } from '../../scripts/temporal-binaries';
import { startTemporalDevServer, type DevServer } from '../../scripts/temporal-dev-server';
import { testEnv } from './test-env';

export interface TestStack {
  dir: string;
  temporal?: DevServer;
  postgres?: LocalPostgres;
}

declare global {
  var __capflowTestStack: TestStack | undefined;
}

/**
 * Once per `npm test`: a real Temporal dev server (in memory) and a real PostgreSQL on free
 * ports in a scratch folder, migrated, plus one workflow bundle every worker in the run reuses.
 * Test files read where they are from the environment (see test-env.ts).
 */
export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'capflow-test-'));
  // As root, PostgreSQL runs as the `postgres` user, which must be able to reach its data folder.
  chmodSync(dir, 0o755);
  const stack: TestStack = { dir };
  globalThis.__capflowTestStack = stack;
  const log = (message: string) => process.stderr.write(`[test stack] ${message}\n`);
  try {
    const [temporalPort, postgresPort] = [await freePort(), await freePort()];
    const cli = await resolveTemporalCli(log);
    [stack.temporal, stack.postgres] = await Promise.all([
      startTemporalDevServer({ cli, port: temporalPort, uiPort: 0, headless: true, logFile: path.join(dir, 'temporal.log') }),
      startLocalPostgres({ dataDir: path.join(dir, 'postgres'), port: postgresPort, database: 'capflow_test', logFile: path.join(dir, 'postgres.log') }),
    ]);

    const db = createPool(stack.postgres.url);
    await migrate(db);
    await db.end();

    const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietBundlerLogger });
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    writeFileSync(bundlePath, code);

    process.env[testEnv.temporalAddress] = stack.temporal.address;
    process.env[testEnv.databaseUrl] = stack.postgres.url;
    process.env[testEnv.workflowBundle] = bundlePath;
    process.env[testEnv.scratchDir] = dir;
  } catch (err) {
    await stopTestStack(stack);
    throw err;
  }
}

export async function stopTestStack(stack: TestStack): Promise<void> {
  await Promise.allSettled([stack.temporal?.stop(), stack.postgres?.stop()]);
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
  error: (message: string) => process.stderr.write(`[bundler] ${message}\n`),
};
