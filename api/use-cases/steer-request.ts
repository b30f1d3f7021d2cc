import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { findRequest } from '../../db/requests';
import { cancelRequestUpdate, qaDecisionUpdate, RejectionType } from '../../workflows/messages';
import type { Principal } from '../auth';
import { HttpProblem, notFound, problemTypes } from '../problem';
import { isTemporalUnavailable } from '../temporal-errors';

export interface SteerDeps {
  db: Pool;
  temporal: Client;
  /** How long to wait for a worker to apply an update before answering 503. */
  updateTimeoutMs?: number;
}

const rejectionTypes = new Set<string>(Object.values(RejectionType));

/** A reviewer's QA decision, as a Temporal Update: answered once the workflow has applied it. */
export async function decideQa(deps: SteerDeps, id: string, principal: Principal, body: { decision: 'pass' | 'fail'; comment?: string }) {
  const request = await requireRequest(deps, id);
  const result = await updateOrConflict(deps, request.state, () =>
    deps.temporal.workflow
      .getHandle(request.workflowId)
      .executeUpdate(qaDecisionUpdate, { args: [{ decision: body.decision, reviewer: principal.id, ...(body.comment ? { comment: body.comment } : {}) }] }),
  );
  return { id, decision: result.decision, state: result.state };
}

/** Cancels a request: its owner (the submitting key) or an operator. */
export async function cancelRequest(deps: SteerDeps, id: string, principal: Principal, body: { reason: string }) {
  const request = await requireRequest(deps, id);
  if (principal.role !== 'operator' && request.submittedBy !== principal.id) {
    throw new HttpProblem(403, 'Forbidden', 'only the submitter of a request or an operator may cancel it', { type: problemTypes.forbidden });
  }
  const result = await updateOrConflict(deps, request.state, () =>
    deps.temporal.workflow.getHandle(request.workflowId).executeUpdate(cancelRequestUpdate, { args: [{ actor: principal.id, reason: body.reason }] }),
  );
  return { id, state: result.state };
}

async function requireRequest(deps: SteerDeps, id: string) {
  const request = await findRequest(deps.db, id);
  if (!request) throw notFound(`request ${id} does not exist`);
  return request;
}

/** The workflow's validators say why an update does not apply; each reason is a 409. */
async function updateOrConflict<T>(deps: SteerDeps, knownState: string, run: () => Promise<T>): Promise<T> {
  try {
    return await deps.temporal.connection.withDeadline(Date.now() + (deps.updateTimeoutMs ?? 15_000), run);
  } catch (err) {
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isTemporalUnavailable(err)) {
      // Temporal may still deliver it once a worker is back, so say exactly that.
      throw new HttpProblem(503, 'Service unavailable', 'no worker confirmed the change in time; it may still be applied — read the request before retrying', {
        type: problemTypes.unavailable,
        headers: { 'Retry-After': '5' },
      });
    }
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause as { type?: string; message?: string } | undefined;
      if (cause?.type && rejectionTypes.has(cause.type)) {
        throw new HttpProblem(409, 'Conflict', cause.message ?? cause.type, { type: problemTypes.conflict });
      }
      throw err;
    }
    // An update to a workflow that has already closed: the request has ended.
    if (err instanceof WorkflowNotFoundError || /already completed/i.test((err as Error).message ?? '')) {
      throw new HttpProblem(409, 'Conflict', `the request has already ended (${knownState})`, { type: problemTypes.conflict });
    }
    throw err;
  }
}
