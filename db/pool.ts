import { Pool } from 'pg';

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
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: string }).code;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', '57P01', '57P03', '08000', '08001', '08006'].includes(code)) {
    return true;
  }
  return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/.test(err.message);
}
