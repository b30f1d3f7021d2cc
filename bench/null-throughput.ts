/**
 * End-to-end throughput and latency of `null` requests: HTTP submit → workflow → Complete in the
 * read model, on a real Temporal dev server and a real PostgreSQL started here (as in tests).
 *
 *   npm run bench -- [requests] [concurrency]
 *
 * Prints one JSON line; copy it with the machine and date into bench/RESULTS.md.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createApp } from '../api/app';
import { loadCapabilityCatalog } from '../capabilities/capability-catalog';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger } from '../observability/logger';
import { freePort } from '../scripts/free-port';
import { startLocalPostgres } from '../scripts/local-postgres';
import { resolveTemporalCli } from '../scripts/temporal-binaries';
import { startTemporalDevServer } from '../scripts/temporal-dev-server';
import { capflowDataConverter } from '../pii/data-converter';
import { newKey, parseKeyRing } from '../pii/key-ring';
import { createCapflowWorker } from '../worker/create-worker';

async function main(): Promise<void> {
  const total = Number(process.argv[2] ?? 200);
  const concurrency = Number(process.argv[3] ?? 20);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const dir = mkdtempSync(path.join(tmpdir(), 'capflow-bench-'));
  chmodSync(dir, 0o755);
  const temporalServer = await startTemporalDevServer({ cli: await resolveTemporalCli(), port: await freePort(), uiPort: 0, headless: true, logFile: path.join(dir, 'temporal.log') });
  const postgres = await startLocalPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), database: 'bench', logFile: path.join(dir, 'pg.log') });
  const db = createPool(postgres.url, { max: 20 });
  await migrate(db);
  // Payloads are encrypted as in production: the codec is part of what a request costs.
  const payloadKeys = parseKeyRing(`bench:${newKey()}`);
  const connection = await Connection.connect({ address: temporalServer.address });
  const temporal = new Client({ connection, dataConverter: capflowDataConverter(payloadKeys) });
  const nativeConnection = await NativeConnection.connect({ address: temporalServer.address });
  const taskQueue = `bench-${randomUUID()}`;
  const worker = await createCapflowWorker({
    connection: nativeConnection,
    temporal,
    namespace: 'default',
    taskQueue,
    db,
    webhookSigningKey: 'b'.repeat(32),
    mailer: undefined,
    payloadKeys,
    proofing: { vendorUrl: undefined, callTimeoutMs: 5_000, deadlineMs: 60_000, staleAfterMs: 300_000, resultTtlMs: 600_000 },
    documents: { apiUrl: undefined, statusCallsPerMinute: 60, processingTimeoutMs: 24 * 3_600_000 },
    registration: { countryConfigurationUrl: undefined, jwtSecret: undefined, callTimeoutMs: 10_000 },
    calibration: { executorUrl: undefined, stagingDir: dir, archiveDir: dir },
  });
  const running = worker.run();
  const key = 'bench-submitter-key-0001';
  const app = createApp({
    catalog: loadCapabilityCatalog(),
    db,
    temporal,
    taskQueue,
    apiKeys: [{ role: 'submitter', key }],
    webhookSigningKey: 'b'.repeat(32),
    payloadKeys,
    piiHashKey: 'p'.repeat(32),
    proofing: { maxAttempts: 5, attemptWindowMs: 6 * 3_600_000 },
    codecCorsOrigins: [],
    documentMaxBytes: 10 * 1024 * 1024,
    stagingDir: dir,
    logger: createLogger('api', 'silent'),
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const latencies: number[] = [];
  const started = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < total) {
      next += 1;
      const t0 = Date.now();
      const res = await fetch(`${base}/v1/requests`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ capability: 'null', parameters: {} }),
      });
      const { id } = (await res.json()) as { id: string };
      for (;;) {
        const { rows } = await db.query(`SELECT state FROM requests WHERE id = $1`, [id]);
        if (rows[0]?.state === 'Complete') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      latencies.push(Date.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  process.stdout.write(
    `${JSON.stringify({
      benchmark: 'null-throughput',
      requests: total,
      concurrency,
      seconds: Number(seconds.toFixed(2)),
      requestsPerSecond: Number((total / seconds).toFixed(1)),
      latencyMs: { p50: pct(50), p95: pct(95), max: latencies.at(-1) },
      machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30) },
      date: new Date().toISOString(),
    })}\n`,
  );

  server.close();
  worker.shutdown();
  await running;
  await Promise.all([nativeConnection.close(), connection.close(), db.end()]);
  await Promise.all([temporalServer.stop(), postgres.stop()]);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
