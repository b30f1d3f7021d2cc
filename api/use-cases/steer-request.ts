import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { CapabilityCatalog } from '../../capabilities/capability-catalog';
import { findRequest } from '../../db/requests';
import { addVersionUpdate, cancelRequestUpdate, qaDecisionUpdate, RejectionType, retryExecutionUpdate } from '../../workflows/messages';
import type { Principal } from '../auth';
import { HttpProblem, notFound, problemTypes, validationProblem } from '../problem';
import { isTemporalUnavailable } from '../temporal-errors';

export interface SteerDeps {
  catalog: CapabilityCatalog;
  db: Pool;
  temporal: Client;
  /** How long to wait for a worker to apply an update before answering 503. */
  updateTimeoutMs?: number;
}

const rejectionTypes = new Set<string>(Object.values(RejectionType));

/** Most refusals are conflicts with the request's state; these name something that is not there or not said. */
const rejectionStatus: Partial<Record<string, { status: number; title: string; field?: string }>> = {
  [RejectionType.UnknownVersion]: { status: 404, title: 'Not found', field: 'version' },
  [RejectionType.VersionRequired]: { status: 422, title: 'Validation failed', field: 'version' },
};

/** A reviewer's QA decision on a version, as a Temporal Update: answered once the execution has applied it. */
export async function decideQa(deps: SteerDeps, id: string, principal: Principal, body: { version?: number; decision: 'pass' | 'fail'; comment?: string }) {
  const request = await requireRequest(deps, id);
  const result = await updateOrConflict(deps, request.state, () =>
    deps.temporal.workflow.getHandle(request.workflowId).executeUpdate(qaDecisionUpdate, {
      args: [{ ...(body.version ? { version: body.version } : {}), decision: body.decision, reviewer: principal.id, ...(body.comment ? { comment: body.comment } : {}) }],
    }),
  );
  return { id, version: result.version, decision: result.decision, state: result.state };
}

/** A new version with edited parameters: its submitter or an operator. */
export async function addVersion(deps: SteerDeps, id: string, principal: Principal, body: { parameters: Record<string, unknown> }) {
  const request = await requireRequest(deps, id);
  requireOwnerOrOperator(request, principal, 'add a version to');
  // Known sealed (its workflow may already have closed): say so without asking it.
  if (request.sealed) throw new HttpProblem(409, 'Conflict', `the request is sealed (it is ${request.state}): no new version can be added`, { type: problemTypes.conflict });
  const schema = deps.catalog.parametersOf(request.capability);
  const parsed = schema?.safeParse(body.parameters);
  if (parsed && !parsed.success) throw validationProblem(parsed.error.issues, 'parameters');
  const started = await updateOrConflict(deps, request.state, () =>
    deps.temporal.workflow
      .getHandle(request.workflowId)
      .executeUpdate(addVersionUpdate, { args: [{ actor: principal.id, parameters: parsed?.data ?? body.parameters }] }),
  );
  return { id, ...started, links: { request: `/v1/requests/${id}` } };
}

/** An operator re-runs a failed version as a new execution. */
export async function retryRequest(deps: SteerDeps, id: string, principal: Principal, body: { version?: number; reason?: string }) {
  const request = await requireRequest(deps, id);
  const started = await updateOrConflict(deps, request.state, () =>
    deps.temporal.workflow.getHandle(request.workflowId).executeUpdate(retryExecutionUpdate, {
      args: [{ actor: principal.id, ...(body.version ? { version: body.version } : {}), ...(body.reason ? { reason: body.reason } : {}) }],
    }),
  );
  return { id, ...started, links: { request: `/v1/requests/${id}` } };
}

/** Cancels a request: its owner (the submitting key) or an operator. */
export async function cancelRequest(deps: SteerDeps, id: string, principal: Principal, body: { reason: string }) {
  const request = await requireRequest(deps, id);
  requireOwnerOrOperator(request, principal, 'cancel');
  const result = await updateOrConflict(deps, request.state, () =>
    deps.temporal.workflow.getHandle(request.workflowId).executeUpdate(cancelRequestUpdate, { args: [{ actor: principal.id, reason: body.reason }] }),
  );
  return { id, state: result.state };
}

function requireOwnerOrOperator(request: { submittedBy: string }, principal: Principal, what: string) {
  if (principal.role !== 'operator' && request.submittedBy !== principal.id) {
    throw new HttpProblem(403, 'Forbidden', `only the submitter of a request or an operator may ${what} it`, { type: problemTypes.forbidden });
  }
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
        const special = rejectionStatus[cause.type];
        if (special) {
          throw new HttpProblem(special.status, special.title, cause.message ?? cause.type, {
            type: special.status === 404 ? problemTypes.notFound : problemTypes.validation,
            ...(special.field ? { errors: [{ field: special.field, message: cause.message ?? cause.type }] } : {}),
          });
        }
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
