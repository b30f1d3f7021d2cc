import type { Pool, PoolClient } from 'pg';
import type { RequestEventType } from '../workflows/version-book';
import { inTransaction } from './pool';

export type { RequestEventType };

export interface RequestEvent {
  seq: number;
  type: RequestEventType;
  version?: number;
  execution?: number;
  actor: string;
  details: Record<string, unknown>;
  occurredAt: string;
}

/** The request as its workflow sees it after an event: the read model follows, never goes back. */
export interface RequestSnapshot {
  state: string;
  sealed: boolean;
  currentVersion: number;
}

export interface NewVersion {
  parameters: Record<string, unknown>;
}

export interface NewExecution {
  workflowId: string;
}

export interface VersionRow {
  version: number;
  parameters: Record<string, unknown>;
  state: string;
  currentExecution: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ExecutionRow {
  version: number;
  execution: number;
  workflowId: string;
  state: string;
  error: string | null;
  startedBy: string;
  startedAt: Date;
  updatedAt: Date;
}

export interface RequestEventRow {
  seq: number;
  type: RequestEventType;
  version: number | null;
  execution: number | null;
  actor: string;
  details: Record<string, unknown>;
  occurredAt: Date;
}

/**
 * Records a request event once (keyed by its sequence number: a retried activity writes nothing
 * twice), with what it creates — a version row, an execution row — and the request's new
 * snapshot, all in one transaction.
 */
export async function recordRequestEvent(
  db: Pool,
  requestId: string,
  event: RequestEvent & { newVersion?: NewVersion; newExecution?: NewExecution },
  snapshot: RequestSnapshot,
): Promise<void> {
  await inTransaction(db, async (client) => {
    const inserted = await client.query(
      `INSERT INTO request_events (request_id, seq, type, version, execution, actor, details, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request_id, seq) DO NOTHING`,
      [requestId, event.seq, event.type, event.version ?? null, event.execution ?? null, event.actor, JSON.stringify(event.details), event.occurredAt],
    );
    if (inserted.rowCount === 0) return; // recorded by an earlier attempt
    if (event.newVersion && event.version !== undefined) {
      await client.query(
        `INSERT INTO request_versions (request_id, version, parameters, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (request_id, version) DO NOTHING`,
        [requestId, event.version, JSON.stringify(event.newVersion.parameters), event.actor, event.occurredAt],
      );
    }
    if (event.newExecution && event.version !== undefined && event.execution !== undefined) {
      await client.query(
        `INSERT INTO request_executions (request_id, version, execution, workflow_id, started_by, started_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (request_id, version, execution) DO NOTHING`,
        [requestId, event.version, event.execution, event.newExecution.workflowId, event.actor, event.occurredAt],
      );
      await client.query(
        `UPDATE request_versions SET current_execution = $3, state = 'Start', updated_at = now() WHERE request_id = $1 AND version = $2 AND current_execution <= $3`,
        [requestId, event.version, event.execution],
      );
    }
    await updateSnapshot(client, requestId, event.seq, snapshot);
  });
}

/**
 * Moves the request's state as its workflow computed it. Sequence numbers are shared with
 * request events, so an older snapshot never overwrites a newer one.
 */
export async function recordRequestState(db: Pool, requestId: string, seq: number, snapshot: RequestSnapshot): Promise<void> {
  await updateSnapshot(db, requestId, seq, snapshot);
}

async function updateSnapshot(db: Pool | PoolClient, requestId: string, seq: number, snapshot: RequestSnapshot): Promise<void> {
  await db.query(
    `UPDATE requests SET state = $3, sealed = $4, current_version = $5, last_seq = $2, updated_at = now() WHERE id = $1 AND last_seq < $2`,
    [requestId, seq, snapshot.state, snapshot.sealed, snapshot.currentVersion],
  );
}

export async function listVersions(db: Pool, requestId: string): Promise<{ versions: VersionRow[]; executions: ExecutionRow[] }> {
  const [versions, executions] = await Promise.all([
    db.query<VersionRow>(
      `SELECT version, parameters, state, current_execution AS "currentExecution", created_by AS "createdBy", created_at AS "createdAt", updated_at AS "updatedAt"
       FROM request_versions WHERE request_id = $1 ORDER BY version`,
      [requestId],
    ),
    db.query<ExecutionRow>(
      `SELECT version, execution, workflow_id AS "workflowId", state, error, started_by AS "startedBy", started_at AS "startedAt", updated_at AS "updatedAt"
       FROM request_executions WHERE request_id = $1 ORDER BY version, execution`,
      [requestId],
    ),
  ]);
  return { versions: versions.rows, executions: executions.rows };
}

export async function listRequestEvents(db: Pool, requestId: string): Promise<RequestEventRow[]> {
  const { rows } = await db.query<RequestEventRow>(
    `SELECT seq, type, version, execution, actor, details, occurred_at AS "occurredAt" FROM request_events WHERE request_id = $1 ORDER BY seq`,
    [requestId],
  );
  return rows;
}
