import type { Pool } from 'pg';

export interface StoredBlob {
  id: string;
  fileName: string;
  contentType: string;
  size: number;
  sha256: string;
}

/** Idempotent by blob id (derived from the request id): a repeated submission stores nothing twice. */
export async function storeBlob(db: Pool, blob: StoredBlob & { requestId: string; bytes: Buffer }): Promise<void> {
  await db.query(
    `INSERT INTO document_blobs (id, request_id, file_name, content_type, size, sha256, bytes) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
    [blob.id, blob.requestId, blob.fileName, blob.contentType, blob.size, blob.sha256, blob.bytes],
  );
}

export async function loadBlob(db: Pool, id: string): Promise<(StoredBlob & { bytes: Buffer }) | undefined> {
  const { rows } = await db.query<StoredBlob & { bytes: Buffer }>(
    `SELECT id, file_name AS "fileName", content_type AS "contentType", size, sha256, bytes FROM document_blobs WHERE id = $1`,
    [id],
  );
  return rows[0];
}

export interface UploadKey {
  requestId: string;
  version: number;
  execution: number;
}

export interface UploadRow extends UploadKey {
  workflowId: string;
  externalId: number;
  docType: string;
  state: 'pending' | 'completed' | 'failed';
  lastStatus: Record<string, unknown> | null;
  processingStartedAt: Date | null;
  errorDetail: string | null;
  errorStep: string | null;
}

const uploadColumns = `request_id AS "requestId", version, execution, workflow_id AS "workflowId", external_id AS "externalId", doc_type AS "docType", state,
  last_status AS "lastStatus", processing_started_at AS "processingStartedAt", error_detail AS "errorDetail", error_step AS "errorStep"`;

export async function findUpload(db: Pool, key: UploadKey): Promise<UploadRow | undefined> {
  const { rows } = await db.query<UploadRow>(`SELECT ${uploadColumns} FROM document_uploads WHERE request_id = $1 AND version = $2 AND execution = $3`, [
    key.requestId,
    key.version,
    key.execution,
  ]);
  return rows[0];
}

export async function recordUpload(db: Pool, upload: UploadKey & { workflowId: string; externalId: number; docType: string }): Promise<void> {
  await db.query(
    `INSERT INTO document_uploads (request_id, version, execution, workflow_id, external_id, doc_type) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (request_id, version, execution) DO NOTHING`,
    [upload.requestId, upload.version, upload.execution, upload.workflowId, upload.externalId, upload.docType],
  );
}

/** Pending uploads not polled within the window, oldest poll first. */
export async function pendingForPoll(db: Pool, windowMs: number, limit: number): Promise<UploadRow[]> {
  const { rows } = await db.query<UploadRow>(
    `SELECT ${uploadColumns} FROM document_uploads
     WHERE state = 'pending' AND (last_polled_at IS NULL OR last_polled_at <= now() - make_interval(secs => $1::double precision / 1000))
     ORDER BY last_polled_at NULLS FIRST, uploaded_at LIMIT $2`,
    [windowMs, limit],
  );
  return rows;
}

/**
 * What one status answer means for one upload. The status is stored only when it changed; the
 * state moves once, from pending.
 */
export async function applyStatus(
  db: Pool,
  key: UploadKey,
  change: {
    status: Record<string, unknown> | null;
    state: 'pending' | 'completed' | 'failed';
    startedAt?: Date;
    endedAt?: Date;
    errorDetail?: string;
    errorStep?: string;
  },
): Promise<void> {
  await db.query(
    `UPDATE document_uploads SET
       last_polled_at = now(),
       status_changed_at = CASE WHEN $4::jsonb IS NOT NULL AND last_status IS DISTINCT FROM $4::jsonb THEN now() ELSE status_changed_at END,
       last_status = COALESCE($4::jsonb, last_status),
       state = $5,
       processing_started_at = COALESCE(processing_started_at, $6),
       processing_ended_at = COALESCE($7, processing_ended_at),
       error_detail = COALESCE($8, error_detail),
       error_step = COALESCE($9, error_step)
     WHERE request_id = $1 AND version = $2 AND execution = $3 AND state = 'pending'`,
    [
      key.requestId,
      key.version,
      key.execution,
      change.status === null ? null : JSON.stringify(change.status),
      change.state,
      change.startedAt ?? null,
      change.endedAt ?? null,
      change.errorDetail ?? null,
      change.errorStep ?? null,
    ],
  );
}

/** Outcomes recorded but not yet told to their execution (a cycle may have crashed in between). */
export async function unsignalledOutcomes(db: Pool, limit: number): Promise<UploadRow[]> {
  const { rows } = await db.query<UploadRow>(`SELECT ${uploadColumns} FROM document_uploads WHERE state <> 'pending' AND outcome_signalled_at IS NULL LIMIT $1`, [limit]);
  return rows;
}

export async function markSignalled(db: Pool, key: UploadKey): Promise<void> {
  await db.query(`UPDATE document_uploads SET outcome_signalled_at = now() WHERE request_id = $1 AND version = $2 AND execution = $3`, [key.requestId, key.version, key.execution]);
}

export interface PollCycle {
  startedAt: Date;
  finishedAt: Date;
  polled: number;
  statusCalls: number;
  completed: number;
  failed: number;
  processingTimeouts: number;
  notFound: number;
  pollingErrors: Record<string, number>;
  exhaustedRetries: number;
}

export async function recordPollCycle(db: Pool, c: PollCycle): Promise<void> {
  await db.query(
    `INSERT INTO document_poll_cycles (started_at, finished_at, polled, status_calls, completed, failed, processing_timeouts, not_found, polling_errors, exhausted_retries)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [c.startedAt, c.finishedAt, c.polled, c.statusCalls, c.completed, c.failed, c.processingTimeouts, c.notFound, JSON.stringify(c.pollingErrors), c.exhaustedRetries],
  );
}

/** Totals for `/metrics`: cycle counters, and outcomes per document type and failing step. */
export async function documentMetrics(db: Pool) {
  const [cycles, errors, outcomes, last] = await Promise.all([
    db.query<Record<string, string>>(
      `SELECT count(*) AS cycles, COALESCE(sum(polled), 0) AS polled, COALESCE(sum(status_calls), 0) AS status_calls, COALESCE(sum(completed), 0) AS completed,
              COALESCE(sum(failed), 0) AS failed, COALESCE(sum(processing_timeouts), 0) AS processing_timeouts, COALESCE(sum(not_found), 0) AS not_found,
              COALESCE(sum(exhausted_retries), 0) AS exhausted_retries
       FROM document_poll_cycles`,
    ),
    db.query<{ kind: string; n: string }>(`SELECT e.key AS kind, sum(e.value::int) AS n FROM document_poll_cycles, jsonb_each_text(polling_errors) e GROUP BY e.key`),
    db.query<{ docType: string; state: string; step: string | null; n: string }>(
      `SELECT doc_type AS "docType", state, error_step AS step, count(*) AS n FROM document_uploads GROUP BY doc_type, state, error_step`,
    ),
    db.query<{ polled: number; statusCalls: number; seconds: number }>(
      `SELECT polled, status_calls AS "statusCalls", extract(epoch FROM finished_at - started_at)::float AS seconds FROM document_poll_cycles ORDER BY id DESC LIMIT 1`,
    ),
  ]);
  return { totals: cycles.rows[0]!, errors: errors.rows, outcomes: outcomes.rows, last: last.rows[0] };
}
