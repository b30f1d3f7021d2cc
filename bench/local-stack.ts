import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { migrate } from '../db/migrate';
import { createPool } from '../db/pool';
import { capflowDataConverter } from '../pii/data-converter';
import { newKey, parseKeyRing } from '../pii/key-ring';
import { freePort } from '../scripts/free-port';
import { startLocalPostgres } from '../scripts/local-postgres';
import { resolveTemporalCli } from '../scripts/temporal-binaries';
import { startTemporalDevServer } from '../scripts/temporal-dev-server';

/** The servers a benchmark runs against: the CLI dev server and embedded PostgreSQL, on free ports. */
export async function startBenchStack() {
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
  return {
    dir,
    db,
    temporal,
    payloadKeys,
    nativeConnection,
    temporalAddress: temporalServer.address,
    async stop() {
      await Promise.all([nativeConnection.close(), connection.close(), db.end()]);
      await Promise.all([temporalServer.stop(), postgres.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Runs `task` `total` times with `concurrency` in flight; returns each run's duration (ms), sorted, and the wall time. */
export async function runLanes(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        await task(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), seconds: (Date.now() - started) / 1000 };
}
