import { Pool, type PoolClient } from 'pg';

export function createPool(connectionString: string, options: { max?: number } = {}): Pool {
  const pool = new Pool({
    connectionString,
    max: options.max ?? 10,
    // Fail fast when the database is down so callers can answer 503 instead of hanging.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

/** Errors that mean "the database is unreachable right now", as opposed to a bad query. */
export function isDatabaseUnavailable(err: unknown): boolean {
  // Duck-typed: socket errors come from Node's core and need not be `instanceof` this realm's Error.
  if (typeof err !== 'object' || err === null || typeof (err as { message?: unknown }).message !== 'string') return false;
  const { code, message } = err as { code?: string; message: string };
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P03', '08000', '08001', '08006'].includes(code)) {
    return true;
  }
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/.test(message);
}

/** Runs `work` in one transaction on one pooled client: all of it is written, or none. */
export async function inTransaction<T>(db: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
