import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';

export interface ReadinessReport {
  status: 'ready' | 'unavailable';
  checks: { database: string; temporal: string };
}

const withTimeout = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

/** Ready means both things every request needs answer now: PostgreSQL and Temporal. */
export async function checkReadiness(db: Pool, temporal: Client): Promise<ReadinessReport> {
  const [database, temporalCheck] = await Promise.all([
    withTimeout(db.query('SELECT 1'), 2_000).then(
      () => 'ok',
      (err: Error) => `unreachable: ${err.message}`,
    ),
    temporal.connection.withDeadline(Date.now() + 2_000, () => temporal.workflowService.getSystemInfo({})).then(
      () => 'ok',
      (err: Error) => `unreachable: ${err.message}`,
    ),
  ]);
  return { status: database === 'ok' && temporalCheck === 'ok' ? 'ready' : 'unavailable', checks: { database, temporal: temporalCheck } };
}
