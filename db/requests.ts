import type { Pool } from 'pg';
import { inTransaction } from './pool';

export interface RequestRow {
  id: string;
  workflowId: string;
  capability: string;
  state: string;
  sealed: boolean;
  currentVersion: number;
  parameters: Record<string, unknown>;
  submittedBy: string;
  submittedAt: Date;
  updatedAt: Date;
}

export interface TransitionRow {
  version: number;
  execution: number;
  seq: number;
  from: string;
  event: string;
  to: string;
  actions: string[];
  actor: string;
  details: Record<string, unknown>;
  error: string | null;
  occurredAt: Date;
}

export interface NewRequest {
  id: string;
  workflowId: string;
  /** Where version 1 runs first: `executionWorkflowId(id, 1, 1)`, or the request's own id for requests from before versions. */
  firstExecutionWorkflowId: string;
  capability: string;
  parameters: Record<string, unknown>;
  submittedBy: string;
  submittedAt: Date;
}

const requestColumns = `id, workflow_id AS "workflowId", capability, state, sealed, current_version AS "currentVersion", parameters,
  submitted_by AS "submittedBy", submitted_at AS "submittedAt", updated_at AS "updatedAt"`;

/**
 * Idempotent: the API and the workflow both call it, whichever comes first creates the rows —
 * the request, its first version and that version's first execution.
 */
export async function insertRequest(db: Pool, request: NewRequest): Promise<void> {
  await inTransaction(db, async (client) => {
    const created = await client.query(
      `INSERT INTO requests (id, workflow_id, capability, state, parameters, submitted_by, submitted_at)
       VALUES ($1, $2, $3, 'Start', $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [request.id, request.workflowId, request.capability, JSON.stringify(request.parameters), request.submittedBy, request.submittedAt],
    );
    if (!created.rowCount) return;
    await client.query(`INSERT INTO request_versions (request_id, version, parameters, created_by, created_at) VALUES ($1, 1, $2, $3, $4)`, [
      request.id,
      JSON.stringify(request.parameters),
      request.submittedBy,
      request.submittedAt,
    ]);
    await client.query(
      `INSERT INTO request_executions (request_id, version, execution, workflow_id, started_by, started_at) VALUES ($1, 1, 1, $2, $3, $4)`,
      [request.id, request.firstExecutionWorkflowId, request.submittedBy, request.submittedAt],
    );
  });
}

/** Which execution a transition belongs to; `updatesRequest` for requests that ran before versions existed. */
export interface ExecutionKey {
  requestId: string;
  version: number;
  execution: number;
  /** Requests from before versions existed are their own single execution and move the request row too. */
  updatesRequest?: boolean;
}

/**
 * Records a transition and moves the execution's (and its version's) state forward, never
 * backward. The same transition recorded again overwrites what was there: transitions are recorded
 * by local activities, which run inside a workflow task. When that task is retried (a worker lost,
 * a completion refused), they run again, and the retry is what the history keeps. Its time, and
 * in a race even its event, can differ from the attempt before.
 */
export async function recordTransition(
  db: Pool,
  key: ExecutionKey,
  t: { seq: number; from: string; event: string; to: string; actions: readonly string[]; actor: string; details: Record<string, unknown>; error?: string; occurredAt: string },
): Promise<void> {
  await inTransaction(db, async (client) => {
    await client.query(
      `INSERT INTO request_transitions (request_id, version, execution, seq, from_state, event, to_state, actions, actor, details, error, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (request_id, version, execution, seq) DO UPDATE SET
         from_state = EXCLUDED.from_state, event = EXCLUDED.event, to_state = EXCLUDED.to_state, actions = EXCLUDED.actions,
         actor = EXCLUDED.actor, details = EXCLUDED.details, error = EXCLUDED.error, occurred_at = EXCLUDED.occurred_at`,
      [key.requestId, key.version, key.execution, t.seq, t.from, t.event, t.to, t.actions, t.actor, JSON.stringify(t.details), t.error ?? null, t.occurredAt],
    );
    const moved = await client.query(
      `UPDATE request_executions SET state = $4, last_seq = $5, error = COALESCE($6, error), updated_at = now()
       WHERE request_id = $1 AND version = $2 AND execution = $3 AND last_seq <= $5`,
      [key.requestId, key.version, key.execution, t.to, t.seq, t.error ?? null],
    );
    if (moved.rowCount) {
      await client.query(
        `UPDATE request_versions SET state = $4, updated_at = now() WHERE request_id = $1 AND version = $2 AND current_execution = $3`,
        [key.requestId, key.version, key.execution, t.to],
      );
    }
    if (key.updatesRequest) {
      await client.query(`UPDATE requests SET state = $2, last_seq = $3, updated_at = now() WHERE id = $1 AND last_seq <= $3`, [key.requestId, t.to, t.seq]);
    }
  });
}

export async function findRequest(db: Pool, id: string): Promise<RequestRow | undefined> {
  const { rows } = await db.query<RequestRow>(`SELECT ${requestColumns} FROM requests WHERE id = $1`, [id]);
  return rows[0];
}

export async function listTransitions(db: Pool, requestId: string): Promise<TransitionRow[]> {
  const { rows } = await db.query<TransitionRow>(
    `SELECT version, execution, seq, from_state AS "from", event, to_state AS "to", actions, actor, details, error, occurred_at AS "occurredAt"
     FROM request_transitions WHERE request_id = $1 ORDER BY version, execution, seq`,
    [requestId],
  );
  return rows;
}

export interface RequestListFilter {
  capability?: string;
  state?: string;
  submittedBy?: string;
  submittedAfter?: Date;
  submittedBefore?: Date;
  limit: number;
  /** Keyset cursor: list rows strictly older than this (submittedAt, id). */
  before?: { submittedAt: Date; id: string };
}

export async function listRequests(db: Pool, filter: RequestListFilter): Promise<RequestRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.capability) {
    params.push(filter.capability);
    where.push(`capability = $${params.length}`);
  }
  if (filter.state) {
    params.push(filter.state);
    where.push(`state = $${params.length}`);
  }
  if (filter.submittedBy) {
    params.push(filter.submittedBy);
    where.push(`submitted_by = $${params.length}`);
  }
  if (filter.submittedAfter) {
    params.push(filter.submittedAfter);
    where.push(`submitted_at >= $${params.length}`);
  }
  if (filter.submittedBefore) {
    params.push(filter.submittedBefore);
    where.push(`submitted_at < $${params.length}`);
  }
  if (filter.before) {
    params.push(filter.before.submittedAt, filter.before.id);
    where.push(`(submitted_at, id) < ($${params.length - 1}, $${params.length})`);
  }
  params.push(filter.limit);
  const { rows } = await db.query<RequestRow>(
    `SELECT ${requestColumns} FROM requests ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY submitted_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  return rows;
}
