import type { Pool } from 'pg';

export interface RegistrationRow {
  transactionId: string;
  requestId: string;
  initiatedBy: string;
  waitingWorkflowId: string | null;
  state: 'submitted' | 'waiting' | 'confirmed' | 'rejected';
  registrationNumber: string | null;
  identifiers: { type: string; value: string }[] | null;
  reason: string | null;
  comment: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
}

const columns = `transaction_id AS "transactionId", request_id AS "requestId", initiated_by AS "initiatedBy", waiting_workflow_id AS "waitingWorkflowId", state,
  registration_number AS "registrationNumber", identifiers, reason, comment, decided_by AS "decidedBy", decided_at AS "decidedAt"`;

/** Idempotent: the same transaction submitted again (even concurrently) finds the first row. */
export async function insertRegistration(db: Pool, r: { transactionId: string; requestId: string; initiatedBy: string }): Promise<void> {
  await db.query(`INSERT INTO registrations (transaction_id, request_id, initiated_by) VALUES ($1, $2, $3) ON CONFLICT (transaction_id) DO NOTHING`, [
    r.transactionId,
    r.requestId,
    r.initiatedBy,
  ]);
}

export async function findRegistration(db: Pool, transactionId: string): Promise<RegistrationRow | undefined> {
  const { rows } = await db.query<RegistrationRow>(`SELECT ${columns} FROM registrations WHERE transaction_id = $1`, [transactionId]);
  return rows[0];
}

export async function findRegistrationOfRequest(db: Pool, requestId: string): Promise<RegistrationRow | undefined> {
  const { rows } = await db.query<RegistrationRow>(`SELECT ${columns} FROM registrations WHERE request_id = $1`, [requestId]);
  return rows[0];
}

/** The execution now sending the registration is the one a callback must reach. */
export async function markWaiting(db: Pool, transactionId: string, workflowId: string): Promise<RegistrationRow | undefined> {
  const { rows } = await db.query<RegistrationRow>(
    `UPDATE registrations SET waiting_workflow_id = $2, state = CASE WHEN state = 'submitted' THEN 'waiting' ELSE state END
     WHERE transaction_id = $1 RETURNING ${columns}`,
    [transactionId, workflowId],
  );
  return rows[0];
}

export type Decision =
  | { kind: 'confirmed'; registrationNumber: string; identifiers: { type: string; value: string }[]; comment: string | null; by: string }
  | { kind: 'rejected'; reason: string; comment: string | null; by: string };

/**
 * Settles the registration once. Returns the row as it stands and whether this call settled it;
 * a decision that contradicts a settled one is for the caller to refuse (409).
 */
export async function settleRegistration(db: Pool, transactionId: string, decision: Decision): Promise<{ row: RegistrationRow | undefined; settledNow: boolean }> {
  const { rows } = await db.query<RegistrationRow>(
    `UPDATE registrations SET state = $2, registration_number = $3, identifiers = $4, reason = $5, comment = $6, decided_by = $7, decided_at = now()
     WHERE transaction_id = $1 AND state IN ('submitted', 'waiting') RETURNING ${columns}`,
    [
      transactionId,
      decision.kind,
      decision.kind === 'confirmed' ? decision.registrationNumber : null,
      decision.kind === 'confirmed' ? JSON.stringify(decision.identifiers) : null,
      decision.kind === 'rejected' ? decision.reason : null,
      decision.comment,
      decision.by,
    ],
  );
  if (rows[0]) return { row: rows[0], settledNow: true };
  return { row: await findRegistration(db, transactionId), settledNow: false };
}
