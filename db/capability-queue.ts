import { inTransaction } from './pool';
import type { Pool, PoolClient } from 'pg';

export interface CapabilitySettings {
  capability: string;
  maxConcurrent: number;
  enabled: boolean;
  paused: boolean;
  updatedAt: Date;
  updatedBy: string | null;
}

export interface SlotHolder {
  holder: string;
  requestId: string;
  workflowId: string;
}

const settingsColumns = `capability, max_concurrent AS "maxConcurrent", enabled, paused, updated_at AS "updatedAt", updated_by AS "updatedBy"`;

/** The settings row, created from the definition's defaults the first time it is needed. */
export async function ensureSettings(db: Pool | PoolClient, capability: string, defaultMaxConcurrent: number): Promise<CapabilitySettings> {
  await db.query(`INSERT INTO capability_settings (capability, max_concurrent) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [capability, defaultMaxConcurrent]);
  const { rows } = await db.query<CapabilitySettings>(`SELECT ${settingsColumns} FROM capability_settings WHERE capability = $1`, [capability]);
  return rows[0]!;
}

export async function updateSettings(
  db: Pool,
  capability: string,
  defaultMaxConcurrent: number,
  change: { maxConcurrent?: number; enabled?: boolean; paused?: boolean },
  updatedBy: string,
): Promise<CapabilitySettings> {
  await ensureSettings(db, capability, defaultMaxConcurrent);
  const { rows } = await db.query<CapabilitySettings>(
    `UPDATE capability_settings SET
       max_concurrent = COALESCE($2, max_concurrent), enabled = COALESCE($3, enabled), paused = COALESCE($4, paused),
       updated_at = now(), updated_by = $5
     WHERE capability = $1 RETURNING ${settingsColumns}`,
    [capability, change.maxConcurrent ?? null, change.enabled ?? null, change.paused ?? null, updatedBy],
  );
  return rows[0]!;
}

/** Joins the queue (idempotent: a retried activity keeps its place). */
export async function enqueue(db: Pool, entry: SlotHolder & { capability: string; queuedSince: Date }): Promise<void> {
  await db.query(
    `INSERT INTO capability_slots (holder, capability, request_id, workflow_id, queued_since) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (holder) DO NOTHING`,
    [entry.holder, entry.capability, entry.requestId, entry.workflowId, entry.queuedSince],
  );
}

/**
 * Grants free slots to the oldest waiters. The settings row is locked for the decision, so
 * concurrent callers (any worker, the API) never grant the same slot twice.
 */
export async function grantFreeSlots(db: Pool, capability: string, defaultMaxConcurrent: number): Promise<SlotHolder[]> {
  return inTransaction(db, async (client) => {
    await ensureSettings(client, capability, defaultMaxConcurrent);
    const { rows: settingsRows } = await client.query<{ maxConcurrent: number; paused: boolean }>(
      `SELECT max_concurrent AS "maxConcurrent", paused FROM capability_settings WHERE capability = $1 FOR UPDATE`,
      [capability],
    );
    const settings = settingsRows[0]!;
    if (settings.paused) return [];
    const running = Number((await client.query(`SELECT count(*) FROM capability_slots WHERE capability = $1 AND granted_at IS NOT NULL AND released_at IS NULL`, [capability])).rows[0].count);
    const free = settings.maxConcurrent - running;
    if (free <= 0) return [];
    const result = await client.query<SlotHolder>(
      // statement_timestamp(), not now(): this statement runs after the lock wait, so a grant is
      // never stamped before the release it waited for; one batch shares one time (FIFO ties
      // break by queue order).
      `UPDATE capability_slots SET granted_at = statement_timestamp()
       WHERE holder IN (
         SELECT holder FROM capability_slots WHERE capability = $1 AND granted_at IS NULL AND released_at IS NULL ORDER BY queued_since, seq LIMIT $2
       )
       RETURNING holder, request_id AS "requestId", workflow_id AS "workflowId"`,
      [capability, free],
    );
    return result.rows;
  });
}

export async function slotState(db: Pool, holder: string): Promise<'waiting' | 'granted' | 'released' | 'unknown'> {
  const { rows } = await db.query<{ granted: boolean; released: boolean }>(
    `SELECT granted_at IS NOT NULL AS granted, released_at IS NOT NULL AS released FROM capability_slots WHERE holder = $1`,
    [holder],
  );
  const row = rows[0];
  if (!row) return 'unknown';
  return row.released ? 'released' : row.granted ? 'granted' : 'waiting';
}

/** Leaves the queue or gives the slot back; returns whether anything changed. */
export async function release(db: Pool, holder: string): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE capability_slots SET released_at = clock_timestamp() WHERE holder = $1 AND released_at IS NULL`, [holder]);
  return rowCount === 1;
}

export async function runningHolders(db: Pool, capability: string): Promise<SlotHolder[]> {
  const { rows } = await db.query<SlotHolder>(
    `SELECT holder, request_id AS "requestId", workflow_id AS "workflowId" FROM capability_slots
     WHERE capability = $1 AND granted_at IS NOT NULL AND released_at IS NULL ORDER BY granted_at`,
    [capability],
  );
  return rows;
}

export async function hasWaiters(db: Pool, capability: string): Promise<boolean> {
  const { rowCount } = await db.query(`SELECT 1 FROM capability_slots WHERE capability = $1 AND granted_at IS NULL AND released_at IS NULL LIMIT 1`, [capability]);
  return (rowCount ?? 0) > 0;
}

export async function queueCounts(db: Pool, capability: string): Promise<{ running: number; waiting: number }> {
  const { rows } = await db.query<{ running: number; waiting: number }>(
    `SELECT count(*) FILTER (WHERE granted_at IS NOT NULL)::int AS running, count(*) FILTER (WHERE granted_at IS NULL)::int AS waiting
     FROM capability_slots WHERE capability = $1 AND released_at IS NULL`,
    [capability],
  );
  return rows[0]!;
}
