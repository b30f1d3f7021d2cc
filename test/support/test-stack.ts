import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import type { Express } from 'express';
import type { Pool } from 'pg';
import { createApp, type AppDeps } from '../../api/app';
import { loadCapabilityCatalog } from '../../capabilities/capability-catalog';
import { capabilityParameterSchemas } from '../../capabilities/capability-parameters';
import { builtInCapabilities } from '../../workflows/capabilities';
import type { CapabilityDefinition } from '../../workflows/capability-model';
import { principalIdOf } from '../../api/auth';
import type { ApiKey, Role } from '../../config/env';
import { createPool } from '../../db/pool';
import type { Mailer } from '../../notifications/mailer';
import { createLogger } from '../../observability/logger';
import type { CalibrationDeps } from '../../activities/calibration';
import type { DocumentsDeps } from '../../activities/documents';
import type { ProofingDeps } from '../../activities/identity-proofing';
import type { RegistrationDeps } from '../../activities/registration';
import { capflowDataConverter } from '../../pii/data-converter';
import { parseKeyRing } from '../../pii/key-ring';
import { createCapflowWorker } from '../../worker/create-worker';
import { requireTestEnv } from './test-env';

export const testKeys: Record<Role, string> = {
  submitter: 'test-submitter-key-0001',
  reviewer: 'test-reviewer-key-00001',
  operator: 'test-operator-key-00001',
  integration: 'test-integration-key-01',
};
export const testSigningKey = 'test-webhook-signing-key-0123456789abcdef';
/** Fixed test keys (never used outside tests): histories recorded in tests replay with them. */
export const testPayloadKeysEnv = `test-2026:${Buffer.alloc(32, 7).toString('base64')}`;
export const testPayloadKeys = parseKeyRing(testPayloadKeysEnv);
export const testPiiHashKey = 'test-pii-hash-key-0123456789abcdef0123';
/** Proofing settings for tests: short timeouts; no vendor unless a test starts the simulator. */
export const testProofing = { vendorUrl: undefined, callTimeoutMs: 1_000, deadlineMs: 4_000, staleAfterMs: 300_000, resultTtlMs: 600_000 };
export const apiKeys: ApiKey[] = Object.entries(testKeys).map(([role, key]) => ({ role: role as Role, key }));
export const bearer = (role: Role) => ({ Authorization: `Bearer ${testKeys[role]}` });

export interface TestStack {
  app: Express;
  /** `Authorization` header for this stack's own key of `role`. */
  bearer(role: Role): { Authorization: string };
  /** What the read model records as the submitter for this stack's key of `role`. */
  principalId(role: Role): string;
  /** A second submitter key: someone who does not own the first submitter's requests. */
  otherSubmitter: { Authorization: string };
  db: Pool;
  temporal: Client;
  taskQueue: string;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The API and a worker against the run's real Temporal and PostgreSQL. Each test file gets its own
 * task queue, so files running in parallel never pick up each other's workflows.
 */
export async function createTestStack(
  options: {
    startWorker?: boolean;
    capabilities?: CapabilityDefinition[];
    mailer?: Mailer;
    proofing?: Partial<Omit<ProofingDeps, 'db' | 'payloadKeys'>>;
    documents?: Partial<Omit<DocumentsDeps, 'db' | 'temporal'>>;
    registration?: Partial<Omit<RegistrationDeps, 'db'>>;
    calibration?: Partial<Omit<CalibrationDeps, 'db'>>;
    app?: Partial<AppDeps>;
  } = {},
): Promise<TestStack> {
  quietSdkLogs();
  const db = createPool(requireTestEnv('databaseUrl'));
  const connection = await Connection.connect({ address: requireTestEnv('temporalAddress') });
  const temporal = new Client({ connection, dataConverter: capflowDataConverter(testPayloadKeys) });
  const taskQueue = `test-${randomUUID()}`;
  // Keys of its own, so a test can tell its rows from those of test files running beside it.
  const keys = Object.fromEntries(Object.keys(testKeys).map((role) => [role, `${role}-${randomUUID()}`])) as Record<Role, string>;
  const otherSubmitterKey = `submitter-other-${randomUUID()}`;
  const stackKeys = [...Object.entries(keys).map(([role, key]) => ({ role: role as Role, key })), { role: 'submitter' as const, key: otherSubmitterKey }];
  // Test-only capabilities (e.g. a queue probe with a name of its own) beside the built-ins.
  const extra = options.capabilities ?? [];
  const catalog = loadCapabilityCatalog(
    { ...builtInCapabilities, ...Object.fromEntries(extra.map((c) => [c.name, c])) },
    // A probe takes the parameters of the capability whose step it runs.
    { ...capabilityParameterSchemas, ...Object.fromEntries(extra.map((c) => [c.name, capabilityParameterSchemas[c.step] ?? capabilityParameterSchemas.null!])) },
  );
  const app = createTestApp({ catalog, db, temporal, taskQueue, apiKeys: stackKeys, updateTimeoutMs: 3_000, ...options.app });

  let running: { worker: Worker; connection: NativeConnection; done: Promise<void> } | undefined;
  const startWorker = async () => {
    if (running) return;
    const workerConnection = await NativeConnection.connect({ address: requireTestEnv('temporalAddress') });
    const worker = await createCapflowWorker({
      connection: workerConnection,
      temporal,
      namespace: 'default',
      taskQueue,
      db,
      webhookSigningKey: testSigningKey,
      mailer: options.mailer,
      payloadKeys: testPayloadKeys,
      proofing: { ...testProofing, ...options.proofing },
      documents: { apiUrl: undefined, statusCallsPerMinute: 6_000, processingTimeoutMs: 24 * 3_600_000, ...options.documents },
      registration: { countryConfigurationUrl: undefined, jwtSecret: undefined, callTimeoutMs: 1_000, ...options.registration },
      calibration: { executorUrl: undefined, stagingDir: '/nonexistent', archiveDir: '/nonexistent', pollMs: 100, ...options.calibration },
      shutdownGraceTimeMs: 1_000,
      workflowBundle: { codePath: requireTestEnv('workflowBundle') },
    });
    running = { worker, connection: workerConnection, done: worker.run() };
  };
  const stopWorker = async () => {
    if (!running) return;
    const { worker, connection: workerConnection, done } = running;
    running = undefined;
    worker.shutdown();
    await done;
    await workerConnection.close();
  };
  if (options.startWorker ?? true) await startWorker();

  return {
    app,
    bearer: (role) => ({ Authorization: `Bearer ${keys[role]}` }),
    principalId: (role) => principalIdOf(role, keys[role]),
    otherSubmitter: { Authorization: `Bearer ${otherSubmitterKey}` },
    db,
    temporal,
    taskQueue,
    startWorker,
    stopWorker,
    close: async () => {
      await stopWorker();
      await connection.close();
      await db.end();
    },
  };
}

/** The API over whatever PostgreSQL and Temporal a test hands it (live ones, or dead addresses). */
export function createTestApp(deps: Pick<AppDeps, 'db' | 'temporal'> & Partial<AppDeps>) {
  return createApp({
    catalog: loadCapabilityCatalog(),
    taskQueue: 'unused',
    apiKeys,
    webhookSigningKey: testSigningKey,
    payloadKeys: testPayloadKeys,
    piiHashKey: testPiiHashKey,
    proofing: { maxAttempts: 5, attemptWindowMs: 6 * 60 * 60 * 1000 },
    codecCorsOrigins: ['http://localhost:8233'],
    documentMaxBytes: 64 * 1024,
    stagingDir: '/nonexistent',
    logger: createLogger('api', process.env.TEST_API_LOG ?? 'silent'),
    ...deps,
  });
}

/** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/** The SDK logs every worker state change at INFO; tests only want warnings. */
export function quietSdkLogs(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed in this process by an earlier test file.
  }
}
