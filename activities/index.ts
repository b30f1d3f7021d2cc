import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { announceQaReview, decideQaReview } from '../db/qa-reviews';
import { insertRequest, recordTransition } from '../db/requests';
import { requestWorkflowId } from '../workflows/ids';
import type { TransitionRecord } from '../workflows/request-machine';
import { executionStepHandlers } from './execution-steps';

export interface ActivityDeps {
  db: Pool;
}

export interface RegisterRequestInput {
  requestId: string;
  capability: string;
  parameters: Record<string, unknown>;
  submittedBy: string;
  submittedAt: string;
}

export interface ExecuteStepInput {
  requestId: string;
  kind: 'execution' | 'ingestion';
  step: string;
  parameters: Record<string, unknown>;
}

export interface QaDecisionRecord {
  requestId: string;
  decision: 'pass' | 'fail';
  reviewer: string;
  comment: string | null;
  decidedAt: string;
}

/**
 * Every side effect capflow's workflows perform; the worker passes real deps, tests may pass
 * fakes. Each is safe to retry: the database writes are idempotent by key.
 */
export const createActivities = (deps: ActivityDeps) => ({
  async registerRequest(input: RegisterRequestInput): Promise<void> {
    await insertRequest(deps.db, {
      id: input.requestId,
      workflowId: requestWorkflowId(input.requestId),
      capability: input.capability,
      parameters: input.parameters,
      submittedBy: input.submittedBy,
      submittedAt: new Date(input.submittedAt),
    });
  },

  /** Keyed by (request, transition sequence): a retry after a crash writes nothing twice. */
  async recordTransition(input: { requestId: string; transition: TransitionRecord }): Promise<void> {
    await recordTransition(deps.db, input.requestId, input.transition);
  },

  /** AnnounceQa: puts the request on the reviewers' list (`GET /v1/qa`). */
  async announceQa(input: { requestId: string; capability: string; announcedAt: string }): Promise<void> {
    await announceQaReview(deps.db, { requestId: input.requestId, version: 1, capability: input.capability, announcedAt: new Date(input.announcedAt) });
  },

  /** QaPass / QaFail: records who decided what, when, and why. */
  async recordQaDecision(input: QaDecisionRecord): Promise<void> {
    await decideQaReview(deps.db, { ...input, version: 1, decidedAt: new Date(input.decidedAt) });
  },

  /** ExecuteWorkflow / Ingest. Long steps must heartbeat: that is how they learn of a cancel. */
  async executeStep(input: ExecuteStepInput): Promise<Record<string, unknown>> {
    const handler = executionStepHandlers[input.step];
    if (!handler) {
      throw ApplicationFailure.create({ type: 'UnknownExecutionStep', message: `unknown execution step "${input.step}"`, nonRetryable: true });
    }
    return handler(input.parameters);
  },
});
