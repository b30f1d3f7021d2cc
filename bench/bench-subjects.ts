import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { createApp } from '../api/app';
import { loadCapabilityCatalog } from '../capabilities/capability-catalog';
import { DEFAULT_MAX_CACHED_WORKFLOWS } from '../config/env';
import { createLogger } from '../observability/logger';
import { createCapflowWorker } from '../worker/create-worker';
import type { startBenchStack } from './local-stack';

export async function listen(app: Express): Promise<{ server: Server; url: string }> {
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * What a benchmark compares, on one stack: capflow (its worker with the production defaults, and
 * its API) and the bare baseline (a workflow with one no-op activity, on its own task queue).
 */
export async function startBenchSubjects(stack: Awaited<ReturnType<typeof startBenchStack>>, options: { documentsApiUrl?: string } = {}) {
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await createCapflowWorker({
    connection: stack.nativeConnection,
    temporal: stack.temporal,
    namespace: 'default',
    taskQueue,
    db: stack.db,
    webhookSigningKey: 'b'.repeat(32),
    mailer: undefined,
    payloadKeys: stack.payloadKeys,
    proofing: { vendorUrl: undefined, callTimeoutMs: 5_000, deadlineMs: 60_000, staleAfterMs: 300_000, resultTtlMs: 600_000 },
    documents: { apiUrl: options.documentsApiUrl, statusCallsPerMinute: 1_000_000, processingTimeoutMs: 24 * 3_600_000 },
    registration: { countryConfigurationUrl: undefined, jwtSecret: undefined, callTimeoutMs: 10_000 },
    calibration: { executorUrl: undefined, stagingDir: stack.dir, archiveDir: stack.dir },
    maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS,
  });
  const baselineQueue = `baseline-${randomUUID()}`;
  const baselineWorker = await Worker.create({
    connection: stack.nativeConnection,
    taskQueue: baselineQueue,
    workflowsPath: require.resolve('./baseline-workflow'),
    activities: { noop: async () => undefined },
  });
  const running = Promise.all([worker.run(), baselineWorker.run()]);
  const bare = new Client({ connection: stack.temporal.connection });

  const keys = { submitter: `bench-submitter-${randomUUID()}`, reviewer: `bench-reviewer-${randomUUID()}` };
  const api = await listen(
    createApp({
      catalog: loadCapabilityCatalog(),
      db: stack.db,
      temporal: stack.temporal,
      taskQueue,
      apiKeys: [
        { role: 'submitter', key: keys.submitter },
        { role: 'reviewer', key: keys.reviewer },
      ],
      webhookSigningKey: 'b'.repeat(32),
      payloadKeys: stack.payloadKeys,
      piiHashKey: 'p'.repeat(32),
      proofing: { maxAttempts: 5, attemptWindowMs: 6 * 3_600_000 },
      codecCorsOrigins: [],
      documentMaxBytes: 10 * 1024 * 1024,
      stagingDir: stack.dir,
      logger: createLogger('api', 'silent'),
    }),
  );
  // The null capabilities' queues never limit a comparison.
  await stack.db.query(`INSERT INTO capability_settings (capability, max_concurrent) VALUES ('null', 10000), ('null_qa', 10000) ON CONFLICT (capability) DO UPDATE SET max_concurrent = 10000`);

  const call = (role: keyof typeof keys, method: string, url: string, body?: object) =>
    fetch(`${api.url}${url}`, { method, headers: { Authorization: `Bearer ${keys[role]}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const stateOf = async (id: string) => (await stack.db.query<{ state: string }>(`SELECT state FROM requests WHERE id = $1`, [id])).rows[0]?.state;

  return {
    taskQueue,
    bare,
    call,
    /** Waits until the read model shows the request in `state`. */
    async until(id: string, state: string) {
      while ((await stateOf(id)) !== state) await new Promise((r) => setTimeout(r, 5));
    },
    /** Done as the baseline is: the request's workflow has closed (the read model said Complete before that). */
    async closed(id: string) {
      const outcome = (await stack.temporal.workflow.getHandle(`request-${id}`).result()) as { state: string };
      if (outcome.state !== 'Complete') throw new Error(`request ${id} ended ${outcome.state}`);
    },
    /** One bare workflow with one no-op activity, run to its end; returns its workflow id. */
    async baseline() {
      const workflowId = `baseline-${randomUUID()}`;
      await bare.workflow.execute('baseline', { taskQueue: baselineQueue, workflowId });
      return workflowId;
    },
    async stop() {
      api.server.close();
      worker.shutdown();
      baselineWorker.shutdown();
      await running;
    },
  };
}
