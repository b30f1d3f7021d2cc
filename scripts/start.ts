import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Connection } from '@temporalio/client';
import { apiEnvSchema, ConfigError, parseEnv } from '../config/env';
import { apiKeysEnv, loadOrCreateDevApiKeys, loadOrCreateDevSigningKey } from './dev-api-keys';
import { newKey } from '../pii/key-ring';
import { freePort, isPortFree } from './free-port';
import { runningPostmasterPid, startLocalPostgres, type LocalPostgres } from './local-postgres';
import { dataDir } from './project-paths';
import { resolveTemporalCli } from './temporal-binaries';
import { isProcessRunning, killAndWait, stopChild } from './child-processes';
import { startTemporalDevServer, type DevServer } from './temporal-dev-server';

/**
 * `npm start`: the whole local stack on one machine — Temporal dev server (persisted under
 * `.data/`), embedded PostgreSQL, worker and API — unless TEMPORAL_ADDRESS / DATABASE_URL point
 * at existing ones. Ctrl-C or SIGTERM stops everything it started.
 */

const say = (message: string) => process.stdout.write(`[capflow] ${message}\n`);
const data = dataDir();
const pidFile = path.join(data, 'stack.pids.json');
const temporalPort = Number(process.env.TEMPORAL_PORT ?? 7233);
const temporalUiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
const postgresPort = Number(process.env.POSTGRES_PORT ?? 5433);

const children: { name: string; child: ChildProcess }[] = [];
let temporal: DevServer | undefined;
let postgres: LocalPostgres | undefined;
let stopping = false;

async function main(): Promise<void> {
  mkdirSync(path.join(data, 'logs'), { recursive: true });
  await cleanUpAfterCrash();

  const devKeys = loadOrCreateDevApiKeys(path.join(data, 'dev-api-keys.json'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    API_KEYS: process.env.API_KEYS ?? apiKeysEnv(devKeys),
    WEBHOOK_SIGNING_KEY: process.env.WEBHOOK_SIGNING_KEY ?? loadOrCreateDevSigningKey(path.join(data, 'dev-webhook-signing-key')),
    PAYLOAD_KEYS: process.env.PAYLOAD_KEYS ?? loadOrCreateDevSigningKey(path.join(data, 'dev-payload-keys'), () => `dev1:${newKey()}`),
    PII_HASH_KEY: process.env.PII_HASH_KEY ?? loadOrCreateDevSigningKey(path.join(data, 'dev-pii-hash-key')),
    // Calibration products: staged for QA, then ingested into a content-addressed archive.
    CALIBRATION_STAGING_DIR: process.env.CALIBRATION_STAGING_DIR ?? path.join(data, 'staging'),
    ARCHIVE_DIR: process.env.ARCHIVE_DIR ?? path.join(data, 'archive'),
  };
  // The API's port is needed before Temporal starts: the Web UI decodes payloads through its /codec.
  const apiPort = apiEnvSchema.shape.PORT.parse(env.PORT);

  if (!process.env.DATABASE_URL) {
    await ensurePortFree(postgresPort, 'POSTGRES_PORT', 'PostgreSQL');
    say(`starting PostgreSQL (embedded) on port ${postgresPort}, data in .data/postgres`);
    postgres = await startLocalPostgres({
      dataDir: path.join(data, 'postgres'),
      port: postgresPort,
      database: 'capflow',
      logFile: path.join(data, 'logs', 'postgres.log'),
      detached: true,
    });
    watch('postgres', postgres.process);
    env.DATABASE_URL = postgres.url;
    recordPids();
  }

  if (!process.env.TEMPORAL_ADDRESS) {
    await ensurePortFree(temporalPort, 'TEMPORAL_PORT', 'Temporal');
    await ensurePortFree(temporalUiPort, 'TEMPORAL_UI_PORT', 'the Temporal Web UI');
    const cli = await resolveTemporalCli(say);
    say(`starting Temporal dev server (${cli}) on port ${temporalPort}, state in .data/temporal.db`);
    temporal = await startTemporalDevServer({
      cli,
      port: temporalPort,
      uiPort: temporalUiPort,
      dbFile: path.join(data, 'temporal.db'),
      logFile: path.join(data, 'logs', 'temporal.log'),
      detached: true,
      codecEndpoint: `http://localhost:${apiPort}/codec`,
    });
    watch('temporal', temporal.process);
    env.TEMPORAL_ADDRESS = temporal.address;
  }
  recordPids();

  // Check the API's configuration here too, so a mistake is reported once, clearly, before anything else starts.
  const apiConfig = parseEnv(apiEnvSchema, env);
  await ensurePortFree(apiConfig.PORT, 'PORT', 'the API');

  if (!process.env.PROOFING_VENDOR_URL || !process.env.DOCUMENTS_API_URL || !process.env.COUNTRY_CONFIGURATION_URL || !process.env.PROCESSING_EXECUTOR_URL) {
    // The simulators of external services, on a free port, for each service not configured.
    const simulatorPort = await freePort();
    env.COUNTRY_CONFIGURATION_JWT_SECRET ??= loadOrCreateDevSigningKey(path.join(data, 'dev-country-configuration-secret'));
    startNodeChild('simulators', 'simulators/main.js', {
      ...env,
      SIMULATOR_PORT: String(simulatorPort),
      // The country configuration calls capflow back as an integration.
      CAPFLOW_URL: `http://127.0.0.1:${apiPort}`,
      CAPFLOW_INTEGRATION_KEY: devKeys.find((k) => k.role === 'integration')!.key,
    });
    env.PROOFING_VENDOR_URL ??= `http://127.0.0.1:${simulatorPort}/proofing`;
    env.DOCUMENTS_API_URL ??= `http://127.0.0.1:${simulatorPort}/documents-api`;
    env.COUNTRY_CONFIGURATION_URL ??= `http://127.0.0.1:${simulatorPort}/country-configuration`;
    env.PROCESSING_EXECUTOR_URL ??= `http://127.0.0.1:${simulatorPort}/executor`;
    // Seconds, not the production hour: a document uploaded locally settles while you watch.
    env.DOCUMENT_POLL_INTERVAL_MS ??= '15000';
    env.DOCUMENT_POLLING_WINDOW_MS ??= '10000';
  }
  startNodeChild('worker', 'worker/main.js', env);
  startNodeChild('api', 'api/main.js', env);
  recordPids();
  await waitForApi(apiConfig.PORT);
  await waitForWorker(env.TEMPORAL_ADDRESS ?? apiConfig.TEMPORAL_ADDRESS, apiConfig.TEMPORAL_NAMESPACE, apiConfig.TEMPORAL_TASK_QUEUE);

  const submitter = devKeys.find((k) => k.role === 'submitter')!.key;
  const api = `http://localhost:${apiConfig.PORT}`;
  const lines = [
    '',
    'capflow is up',
    `  API            ${api}   (docs ${api}/docs, spec ${api}/openapi.json)`,
    `  Temporal UI    ${temporal?.uiUrl ?? '(external Temporal, see its own UI)'}   (payloads are encrypted; the UI decodes them through ${api}/codec for an operator)`,
    `  Simulators     proofing vendor ${env.PROOFING_VENDOR_URL}, documents API ${env.DOCUMENTS_API_URL} (polled every ${Number(env.DOCUMENT_POLL_INTERVAL_MS ?? 3_600_000) / 1000} s), country configuration ${env.COUNTRY_CONFIGURATION_URL}, processing executor ${env.PROCESSING_EXECUTOR_URL}`,
    `  Temporal gRPC  ${env.TEMPORAL_ADDRESS ?? 'localhost:7233'}`,
    `  PostgreSQL     ${redact(env.DATABASE_URL!)}`,
    `  Logs           .data/logs/ (temporal, postgres); worker and API below`,
    '  API keys (development only):',
    ...(process.env.API_KEYS ? ['    (from API_KEYS)'] : devKeys.map((k) => `    ${k.role.padEnd(12)} ${k.key}`)),
    '',
    'Try it:',
    `  curl -s -X POST ${api}/v1/requests -H "Authorization: Bearer ${submitter}" -H "Content-Type: application/json" -d '{"capability":"null","parameters":{}}'`,
    '',
    'Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function startNodeChild(name: string, script: string, env: NodeJS.ProcessEnv): void {
  // Own process group (detached): Ctrl-C reaches only the supervisor, which stops the pieces in order.
  const child = spawn(process.execPath, [path.join(__dirname, '..', script)], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => process.stdout.write(`[${name}] ${line}\n`));
  }
  children.push({ name, child });
  watch(name, child);
}

/** A piece that dies on its own takes the stack down: a half-running stack only confuses. */
function watch(name: string, child: ChildProcess): void {
  child.once('exit', (code, signal) => {
    if (stopping) return;
    say(`${name} exited unexpectedly (code ${code}, signal ${signal}); stopping the stack`);
    void shutdown(1);
  });
}

async function waitForApi(port: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  if (!stopping) throw new Error(`the API did not become ready on port ${port} within 120 s`);
}

/** The worker is ready once it polls its task queue (it bundles the workflow code first). */
async function waitForWorker(address: string, namespace: string, taskQueue: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && !stopping) {
      const { pollers } = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: 1 });
      if ((pollers ?? []).length > 0) return;
      await new Promise((r) => setTimeout(r, 500));
    }
    if (!stopping) throw new Error(`no worker polled task queue ${taskQueue} within 120 s`);
  } finally {
    await connection.close();
  }
}

async function shutdown(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  // API first (stop taking work), then worker (finish held tasks), then what they use.
  for (const name of ['api', 'worker', 'simulators']) {
    const entry = children.find((c) => c.name === name);
    if (entry) await stopChild(entry.child, 15_000);
  }
  if (temporal) await temporal.stop();
  if (postgres) await postgres.stop();
  rmSync(pidFile, { force: true });
  say('stopped');
  process.exit(exitCode);
}

interface PidRecord {
  supervisor: { pid: number; program: string };
  children: { pid: number; program: string }[];
}

function recordPids(): void {
  const processes = [...children.map((c) => c.child), temporal?.process, postgres?.process];
  const record: PidRecord = {
    supervisor: { pid: process.pid, program: process.argv[1] ?? 'start.js' },
    children: processes.flatMap((p) => (p?.pid ? [{ pid: p.pid, program: p.spawnargs[1] ?? p.spawnfile }] : [])),
  };
  writeFileSync(pidFile, JSON.stringify(record));
}

/** After a crash (kill -9, power loss) the previous run's children may still hold ports and files. */
async function cleanUpAfterCrash(): Promise<void> {
  if (existsSync(pidFile)) {
    const { supervisor, children: leftovers } = JSON.parse(readFileSync(pidFile, 'utf8')) as PidRecord;
    if (supervisor.pid !== process.pid && isProcessRunning(supervisor.pid, supervisor.program)) {
      throw new Error(`capflow is already running (pid ${supervisor.pid}); stop it first`);
    }
    for (const { pid, program } of leftovers.filter((c) => isProcessRunning(c.pid, c.program))) {
      say(`stopping process ${pid} (${path.basename(program)}) left over from a previous run`);
      await killAndWait(pid);
    }
    rmSync(pidFile, { force: true });
  }
  const postmaster = runningPostmasterPid(path.join(data, 'postgres'));
  if (postmaster && !process.env.DATABASE_URL) {
    say(`stopping PostgreSQL ${postmaster} left over from a previous run`);
    await killAndWait(postmaster, 'SIGINT');
  }
}

async function ensurePortFree(port: number, variable: string, what: string): Promise<void> {
  if (!(await isPortFree(port))) {
    throw new Error(`port ${port} for ${what} is in use; free it or set ${variable} to another port`);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

main().catch(async (err: unknown) => {
  process.stderr.write(`[capflow] ${err instanceof ConfigError ? err.message : err instanceof Error ? err.message : String(err)}\n`);
  await shutdown(err instanceof ConfigError ? 78 : 1);
});
