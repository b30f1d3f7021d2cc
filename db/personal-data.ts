import type { Pool } from 'pg';
import { inTransaction } from './pool';

/** Stores a sealed proofing result until `expiresAt`; a retried activity overwrites it with the same answer. */
export async function storeProofingResult(db: Pool, requestId: string, sealed: string, expiresAt: Date): Promise<void> {
  await db.query(
    `INSERT INTO proofing_results (request_id, result_sealed, expires_at) VALUES ($1, $2, $3)
     ON CONFLICT (request_id) DO UPDATE SET result_sealed = EXCLUDED.result_sealed, expires_at = EXCLUDED.expires_at`,
    [requestId, sealed, expiresAt],
  );
}

/** The sealed result while it has not expired. */
export async function findProofingResult(db: Pool, requestId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ sealed: string }>(`SELECT result_sealed AS sealed FROM proofing_results WHERE request_id = $1 AND expires_at > now()`, [requestId]);
  return rows[0]?.sealed;
}

/**
 * Counts a person's attempts in the window and records this one, unless the limit is reached:
 * one transaction under a lock on the person, so concurrent submissions cannot both slip in.
 * Returns when the oldest counted attempt leaves the window, if refused.
 */
export async function admitAttempt(
  db: Pool,
  attempt: { subjectHash: string; requestId: string; limit: number; windowMs: number },
): Promise<{ admitted: true } | { admitted: false; retryAt: Date }> {
  return inTransaction(db, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [attempt.subjectHash]);
    const { rows } = await client.query<{ requestId: string; attemptedAt: Date }>(
      `SELECT request_id AS "requestId", attempted_at AS "attemptedAt" FROM proofing_attempts
       WHERE subject_hash = $1 AND attempted_at > now() - make_interval(secs => $2::double precision / 1000) ORDER BY attempted_at`,
      [attempt.subjectHash, attempt.windowMs],
    );
    // The same request again (an idempotent retry of the POST) is not a new attempt.
    if (rows.some((r) => r.requestId === attempt.requestId)) return { admitted: true };
    if (rows.length >= attempt.limit) return { admitted: false, retryAt: new Date(rows[0]!.attemptedAt.getTime() + attempt.windowMs) };
    await client.query(`INSERT INTO proofing_attempts (subject_hash, request_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [attempt.subjectHash, attempt.requestId]);
    return { admitted: true };
  });
}

/** An attempt that never started (Temporal was down) does not count. */
export async function forgetAttempt(db: Pool, subjectHash: string, requestId: string): Promise<void> {
  await db.query(`DELETE FROM proofing_attempts WHERE subject_hash = $1 AND request_id = $2`, [subjectHash, requestId]);
}

/**
 * Deletes personal data whose time has passed: expired results, attempt records older than the
 * window, and the sealed parameters of requests that ended more than `parametersTtlMs` ago.
 */
export async function purgeExpiredPersonalData(db: Pool, options: { parametersTtlMs: number; attemptWindowMs: number }) {
  const results = await db.query(`DELETE FROM proofing_results WHERE expires_at <= now()`);
  const attempts = await db.query(`DELETE FROM proofing_attempts WHERE attempted_at <= now() - make_interval(secs => $1::double precision / 1000)`, [
    options.attemptWindowMs,
  ]);
  const purged = JSON.stringify({ $purged: true });
  const requests = await db.query(
    `UPDATE requests SET parameters = $2 WHERE parameters ? '$sealed' AND state IN ('Complete', 'Failed', 'Cancelled')
       AND updated_at <= now() - make_interval(secs => $1::double precision / 1000)`,
    [options.parametersTtlMs, purged],
  );
  await db.query(
    `UPDATE request_versions v SET parameters = $1 FROM requests r
     WHERE r.id = v.request_id AND r.parameters ? '$purged' AND v.parameters ? '$sealed'`,
    [purged],
  );
  return { results: results.rowCount ?? 0, attempts: attempts.rowCount ?? 0, requests: requests.rowCount ?? 0 };
}
