import type { Pool } from 'pg';

export interface RequestRow {
  id: string;
  workflowId: string;
  capability: string;
  state: string;
  parameters: Record<string, unknown>;
  submittedBy: string;
  submittedAt: Date;
  updatedAt: Date;
}

export interface TransitionRow {
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
  capability: string;
  parameters: Record<string, unknown>;
  submittedBy: string;
  submittedAt: Date;
}

const requestColumns = `id, workflow_id AS "workflowId", capability, state, parameters,
  submitted_by AS "submittedBy", submitted_at AS "submittedAt", updated_at AS "updatedAt"`;

/** Idempotent: the API and the workflow both call it, whichever comes first creates the row. */
export async function insertRequest(db: Pool, request: NewRequest): Promise<void> {
  await db.query(
    `INSERT INTO requests (id, workflow_id, capability, state, parameters, submitted_by, submitted_at)
     VALUES ($1, $2, $3, 'Start', $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
    [request.id, request.workflowId, request.capability, JSON.stringify(request.parameters), request.submittedBy, request.submittedAt],
  );
}

/** Records a transition once and moves the request's state forward (never backward). */
export async function recordTransition(
  db: Pool,
  requestId: string,
  t: { seq: number; from: string; event: string; to: string; actions: readonly string[]; actor: string; details: Record<string, unknown>; error?: string; occurredAt: string },
): Promise<void> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO request_transitions (request_id, seq, from_state, event, to_state, actions, actor, details, error, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (request_id, seq) DO NOTHING`,
      [requestId, t.seq, t.from, t.event, t.to, t.actions, t.actor, JSON.stringify(t.details), t.error ?? null, t.occurredAt],
    );
    await client.query(
      `UPDATE requests SET state = $2, last_seq = $3, updated_at = now() WHERE id = $1 AND last_seq < $3`,
      [requestId, t.to, t.seq],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function findRequest(db: Pool, id: string): Promise<RequestRow | undefined> {
  const { rows } = await db.query<RequestRow>(`SELECT ${requestColumns} FROM requests WHERE id = $1`, [id]);
  return rows[0];
}

export async function listTransitions(db: Pool, requestId: string): Promise<TransitionRow[]> {
  const { rows } = await db.query<TransitionRow>(
    `SELECT seq, from_state AS "from", event, to_state AS "to", actions, actor, details, error, occurred_at AS "occurredAt"
     FROM request_transitions WHERE request_id = $1 ORDER BY seq`,
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
