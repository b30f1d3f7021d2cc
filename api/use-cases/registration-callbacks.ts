import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../../observability/logger';
import type { Pool } from 'pg';
import { findRegistration, settleRegistration, type Decision, type RegistrationRow } from '../../db/registrations';
import { stepOutcomeSignal } from '../../workflows/messages';
import type { Principal } from '../auth';
import { HttpProblem, notFound, problemTypes } from '../problem';
import { isTemporalUnavailable } from '../temporal-errors';

export interface CallbackDeps {
  db: Pool;
  temporal: Client;
  logger: Logger;
}

export const registrationView = (row: RegistrationRow) => ({
  transactionId: row.transactionId,
  requestId: row.requestId,
  state: row.state,
  registrationNumber: row.registrationNumber,
  identifiers: row.identifiers ?? [],
  reason: row.reason,
  comment: row.comment,
  decidedBy: row.decidedBy,
  decidedAt: row.decidedAt?.toISOString() ?? null,
});

/**
 * The country configuration's confirm or reject. The decision is stored first (so a callback
 * that comes before the request waits, or while a worker is down, is not lost), then told to the
 * waiting execution. The same decision again answers the same; a contradicting one is 409.
 */
export async function decideRegistration(
  deps: CallbackDeps,
  transactionId: string,
  principal: Principal,
  body: { kind: 'confirmed'; registrationNumber: string; identifiers: { type: string; value: string }[]; comment?: string } | { kind: 'rejected'; reason: string; comment?: string },
) {
  const decision: Decision =
    body.kind === 'confirmed'
      ? { kind: 'confirmed', registrationNumber: body.registrationNumber, identifiers: body.identifiers, comment: body.comment ?? null, by: principal.id }
      : { kind: 'rejected', reason: body.reason, comment: body.comment ?? null, by: principal.id };
  const { row, settledNow } = await settleRegistration(deps.db, transactionId, decision);
  if (!row) throw notFound(`no registration with transaction id ${transactionId}`);
  const same = row.state === body.kind && (body.kind === 'rejected' || row.registrationNumber === body.registrationNumber);
  if (!settledNow && !same) {
    throw new HttpProblem(409, 'Conflict', `the registration is already ${row.state}${row.registrationNumber ? ` (${row.registrationNumber})` : ''}; a ${body.kind === 'confirmed' ? 'confirmation' : 'rejection'} cannot change it`, {
      type: problemTypes.conflict,
    });
  }
  // Told again on a repeat too: the execution takes the first outcome and ignores the rest.
  if (row.waitingWorkflowId) await tell(deps, row);
  return registrationView(row);
}

async function tell(deps: CallbackDeps, row: RegistrationRow): Promise<void> {
  const outcome =
    row.state === 'confirmed'
      ? { success: true, details: { registrationNumber: row.registrationNumber, identifiers: row.identifiers, comment: row.comment } }
      : { success: false, error: `the country configuration rejected the registration: ${row.reason}`, details: { reason: row.reason, comment: row.comment } };
  try {
    await deps.temporal.workflow.getHandle(row.waitingWorkflowId!).signal(stepOutcomeSignal, outcome);
  } catch (err) {
    if (isTemporalUnavailable(err)) {
      throw new HttpProblem(503, 'Service unavailable', 'the decision is stored but could not be handed on yet; send it again', {
        type: problemTypes.unavailable,
        headers: { 'Retry-After': '5' },
      });
    }
    // The execution has ended (failed on its deadline, say): the decision waits in the database for a retry.
    if (!(err instanceof WorkflowNotFoundError) && !/not found|already completed/i.test((err as Error).message)) throw err;
    deps.logger.info({ transactionId: row.transactionId }, 'registration decided after its execution ended; kept for a retry');
  }
}

export async function getRegistration(db: Pool, transactionId: string) {
  const row = await findRegistration(db, transactionId);
  if (!row) throw notFound(`no registration with transaction id ${transactionId}`);
  return registrationView(row);
}
