import type { Pool } from 'pg';

export interface StoredResponse {
  requestHash: string;
  status: number | null;
  body: unknown;
  location: string | null;
}

/** Claims the key for this request; returns the existing record when someone already holds it. */
export async function claimIdempotencyKey(
  db: Pool,
  principal: string,
  key: string,
  requestHash: string,
): Promise<{ claimed: true } | { claimed: false; existing: StoredResponse }> {
  const inserted = await db.query(
    `INSERT INTO idempotency_keys (principal, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [principal, key, requestHash],
  );
  if (inserted.rowCount === 1) return { claimed: true };
  // A claim left unfinished by a crashed API process is taken over after a while; the work it
  // guarded is itself idempotent (deterministic workflow ids), so redoing it is safe.
  const takenOver = await db.query(
    `UPDATE idempotency_keys SET created_at = now()
     WHERE principal = $1 AND key = $2 AND request_hash = $3 AND status IS NULL AND created_at < now() - interval '30 seconds'`,
    [principal, key, requestHash],
  );
  if (takenOver.rowCount === 1) return { claimed: true };
  const { rows } = await db.query<StoredResponse>(
    `SELECT request_hash AS "requestHash", status, response_body AS body, response_location AS location
     FROM idempotency_keys WHERE principal = $1 AND key = $2`,
    [principal, key],
  );
  const existing = rows[0];
  // Released between our insert and select: claim again.
  if (!existing) return claimIdempotencyKey(db, principal, key, requestHash);
  return { claimed: false, existing };
}

export async function completeIdempotencyKey(
  db: Pool,
  principal: string,
  key: string,
  response: { status: number; body: unknown; location?: string },
): Promise<void> {
  await db.query(
    `UPDATE idempotency_keys SET status = $3, response_body = $4, response_location = $5 WHERE principal = $1 AND key = $2`,
    [principal, key, response.status, JSON.stringify(response.body), response.location ?? null],
  );
}

/** Lets the client retry after a failure that should not be replayed (5xx). */
export async function releaseIdempotencyKey(db: Pool, principal: string, key: string): Promise<void> {
  await db.query(`DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND status IS NULL`, [principal, key]);
}
