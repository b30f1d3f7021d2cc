import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Pool } from 'pg';
import { catalogue, markCleaned, otherVersionsProducts, stageProducts, versionProducts } from '../db/products';

export interface CalibrationDeps {
  db: Pool;
  executorUrl: string | undefined;
  /** Where the executor writes products (shared with it). */
  stagingDir: string;
  /** The content-addressed archive. */
  archiveDir: string;
  /** How often to ask the executor how the job is doing. */
  pollMs?: number;
  fetch?: typeof fetch;
}

interface JobStatus {
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: number;
  error?: string;
}

/**
 * Runs a processing job at the executor and follows it to the end: progress is heartbeated only
 * while it moves, so a hung executor stops the heartbeat and Temporal retries the step; a retry
 * stops the job it replaces. Cancelling the request stops the job at the executor. On success the
 * job's products are recorded as staged for QA.
 */
export async function runCalibration(deps: CalibrationDeps, input: { requestId: string; version: number; execution: number; parameters: Record<string, unknown> }) {
  if (!deps.executorUrl) throw ApplicationFailure.create({ type: 'ExecutorNotConfigured', message: 'PROCESSING_EXECUTOR_URL is not set', nonRetryable: true });
  const ctx = Context.current();
  const call = (method: string, url: string, body?: object) =>
    (deps.fetch ?? fetch)(`${deps.executorUrl}${url}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(10_000),
    });

  // A previous attempt's job (hung, or orphaned by a crash) is stopped before a new one starts.
  const previous = (ctx.info.heartbeatDetails as { jobId?: string } | undefined)?.jobId;
  if (previous) await call('DELETE', `/jobs/${previous}`).catch(() => undefined);
  const submitted = await call('POST', '/jobs', { jobKey: `${input.requestId}/v${input.version}/e${input.execution}/a${ctx.info.attempt}`, parameters: input.parameters });
  if (!submitted.ok) throw new Error(`the executor refused the job (HTTP ${submitted.status})`);
  const { id: jobId } = (await submitted.json()) as { id: string };
  ctx.heartbeat({ jobId, progress: 0 });

  let lastProgress = -1;
  try {
    for (;;) {
      await ctx.sleep(deps.pollMs ?? 250);
      const res = await call('GET', `/jobs/${jobId}`);
      if (!res.ok) throw new Error(`the executor could not report on ${jobId} (HTTP ${res.status})`);
      const status = (await res.json()) as JobStatus;
      if (status.progress > lastProgress) {
        lastProgress = status.progress;
        ctx.heartbeat({ jobId, progress: status.progress });
      }
      if (status.state === 'failed') throw ApplicationFailure.create({ type: 'JobFailed', message: `the processing job failed: ${status.error ?? 'no reason given'}`, nonRetryable: true });
      if (status.state === 'cancelled') throw ApplicationFailure.create({ type: 'JobCancelled', message: 'the processing job was stopped at the executor', nonRetryable: true });
      if (status.state === 'succeeded') break;
    }
  } catch (err) {
    if (err instanceof CancelledFailure || ctx.cancellationSignal.aborted) await call('DELETE', `/jobs/${jobId}`).catch(() => undefined);
    throw err;
  }

  const manifest = JSON.parse(readFileSync(path.join(deps.stagingDir, jobId, 'manifest.json'), 'utf8')) as { products: { name: string; size: number; sha256: string }[] };
  await stageProducts(
    deps.db,
    input,
    manifest.products.map((p) => ({ jobId, name: p.name, size: p.size, sha256: p.sha256, path: path.join(jobId, p.name) })),
  );
  return { details: { jobId, products: manifest.products.length } };
}

/**
 * Ingests the passed version's staged products into the archive: each file's checksum is checked
 * against the manifest, then it is written content-addressed (`<sha256[0..2]>/<sha256>`, via a
 * temporary file and a rename, so the archive never holds half a file) and catalogued once. A
 * retry finds what is already there. Staged products of the other versions are then removed.
 */
export async function ingestCalibration(deps: CalibrationDeps, input: { requestId: string; version: number }) {
  const products = await versionProducts(deps.db, input.requestId, input.version);
  if (products.length === 0) throw ApplicationFailure.create({ type: 'NothingToIngest', message: `version ${input.version} has no staged products`, nonRetryable: true });
  // Verify everything before archiving anything: a bad product means nothing of this version is ingested.
  const verified = products.map((p) => {
    const bytes = readFileSync(path.join(deps.stagingDir, p.path));
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== p.sha256 || bytes.length !== p.size) {
      throw ApplicationFailure.create({ type: 'ChecksumMismatch', message: `checksum mismatch for ${p.name}: the manifest says ${p.sha256.slice(0, 12)}…, the file is ${actual.slice(0, 12)}…`, nonRetryable: true });
    }
    return { product: p, bytes };
  });
  for (const { product, bytes } of verified) {
    const archivePath = path.join(product.sha256.slice(0, 2), product.sha256);
    const target = path.join(deps.archiveDir, archivePath);
    if (!existsSync(target)) {
      mkdirSync(path.dirname(target), { recursive: true });
      const temporary = `${target}.${randomUUID()}.partial`;
      writeFileSync(temporary, bytes);
      renameSync(temporary, target);
    }
    await catalogue(deps.db, { requestId: input.requestId, version: input.version, name: product.name, sha256: product.sha256, size: product.size, archivePath });
    Context.current().heartbeat({ archived: product.name });
  }
  for (const other of await otherVersionsProducts(deps.db, input.requestId, input.version)) {
    rmSync(path.join(deps.stagingDir, path.dirname(other.path)), { recursive: true, force: true });
    await markCleaned(deps.db, input.requestId, other.version);
  }
  return { details: { archived: verified.length } };
}
