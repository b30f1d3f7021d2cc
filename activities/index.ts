import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import type { SlotDispatcher } from '../capabilities/slot-dispatcher';
import { enqueue, release, slotState } from '../db/capability-queue';
import { announceQaReview, decideQaReview } from '../db/qa-reviews';
import { recordRequestEvent, recordRequestState, type NewExecution, type NewVersion, type RequestEvent, type RequestSnapshot } from '../db/request-versions';
import { insertRegistration } from '../db/registrations';
import { insertRequest, recordTransition, type ExecutionKey } from '../db/requests';
import { executionWorkflowId, requestWorkflowId } from '../workflows/ids';
import type { TransitionRecord } from '../workflows/request-machine';
import { protectParameters } from '../pii/protected-parameters';
import type { KeyRing } from '../pii/key-ring';
import { createExecutionSteps } from './execution-steps';
import type { ProofingDeps } from './identity-proofing';
import { pollDocumentStatuses, type DocumentsDeps } from './documents';
import type { RegistrationDeps } from './registration';
import type { CalibrationDeps } from './calibration';
import { sendMessage, sendNotification, type NotifyDeps, type SendMessageInput, type SendNotificationInput } from './notify';

export interface ActivityDeps extends NotifyDeps {
  db: Pool;
  slots: SlotDispatcher;
  /** Seals personal data at rest (parameters of sensitive capabilities, proofing results). */
  payloadKeys: KeyRing;
  proofing: Omit<ProofingDeps, 'db' | 'payloadKeys'>;
  documents: Omit<DocumentsDeps, 'db'>;
  registration: Omit<RegistrationDeps, 'db'>;
  calibration: Omit<CalibrationDeps, 'db'>;
}

export interface SlotRequest {
  holder: string;
  requestId: string;
  workflowId: string;
  capability: string;
  defaultMaxConcurrent: number;
  /** Queue order: when the request was submitted. */
  queuedSince: string;
}

export interface RegisterRequestInput {
  requestId: string;
  capability: string;
  parameters: Record<string, unknown>;
  submittedBy: string;
  submittedAt: string;
  /** Requests from before versions existed ran in their own workflow, not in a child. */
  singleWorkflow?: boolean;
  /** The parameters hold personal data: stored sealed. */
  sensitive?: boolean;
}

export interface ExecuteStepInput {
  requestId: string;
  version: number;
  execution: number;
  kind: 'execution' | 'ingestion';
  step: string;
  parameters: Record<string, unknown>;
  /** When the execution joined its queue: steps that must not run late measure from it. */
  queuedSince?: string;
}

export interface QaDecisionRecord {
  requestId: string;
  version: number;
  decision: 'pass' | 'fail';
  reviewer: string;
  comment: string | null;
  decidedAt: string;
}

/**
 * Every side effect capflow's workflows perform; the worker passes real deps, tests may pass
 * fakes. Each is safe to retry: the database writes are idempotent by key.
 */
export const createActivities = (deps: ActivityDeps) => {
  const documents: DocumentsDeps = { ...deps.documents, db: deps.db };
  const steps = createExecutionSteps({
    proofing: { ...deps.proofing, db: deps.db, payloadKeys: deps.payloadKeys },
    documents,
    registration: { ...deps.registration, db: deps.db },
    calibration: { ...deps.calibration, db: deps.db },
  });
  return {
  async registerRequest(input: RegisterRequestInput): Promise<void> {
    await insertRequest(deps.db, {
      id: input.requestId,
      workflowId: requestWorkflowId(input.requestId),
      firstExecutionWorkflowId: input.singleWorkflow ? requestWorkflowId(input.requestId) : executionWorkflowId(input.requestId, 1, 1),
      capability: input.capability,
      parameters: protectParameters(deps.payloadKeys, input.sensitive ?? false, input.parameters),
      submittedBy: input.submittedBy,
      submittedAt: new Date(input.submittedAt),
    });
    // A registration's transaction is recorded before its execution starts, so callbacks find it.
    if (input.capability === 'registration' && typeof input.parameters.transactionId === 'string') {
      await insertRegistration(deps.db, { transactionId: input.parameters.transactionId, requestId: input.requestId, initiatedBy: input.submittedBy });
    }
  },

  /** Keyed by (request, version, execution, transition sequence): a retry after a crash writes nothing twice. */
  async recordTransition(input: ExecutionKey & { transition: TransitionRecord }): Promise<void> {
    await recordTransition(deps.db, input, input.transition);
  },

  /** A version added, an execution started, a cancel asked for, the request sealed: once per sequence number. */
  async recordRequestEvent(input: {
    requestId: string;
    event: RequestEvent & { newVersion?: NewVersion; newExecution?: NewExecution };
    snapshot: RequestSnapshot;
    sensitive?: boolean;
  }): Promise<void> {
    const { newVersion } = input.event;
    const event = newVersion ? { ...input.event, newVersion: { parameters: protectParameters(deps.payloadKeys, input.sensitive ?? false, newVersion.parameters) } } : input.event;
    await recordRequestEvent(deps.db, input.requestId, event, input.snapshot);
  },

  /** The request's own state, as its workflow computes it from its versions. */
  async recordRequestState(input: { requestId: string; seq: number; snapshot: RequestSnapshot }): Promise<void> {
    await recordRequestState(deps.db, input.requestId, input.seq, input.snapshot);
  },

  /** QueueWorkflow: joins the capability's queue; true when a slot was granted at once. */
  async enqueueForSlot(input: SlotRequest): Promise<boolean> {
    await enqueue(deps.db, { ...input, queuedSince: new Date(input.queuedSince) });
    await deps.slots.dispatch(input.capability, input.defaultMaxConcurrent, input.holder);
    return (await slotState(deps.db, input.holder)) === 'granted';
  },

  /** A waiting request's periodic re-check, in case a grant signal was lost. */
  async checkSlot(input: SlotRequest): Promise<boolean> {
    await deps.slots.dispatch(input.capability, input.defaultMaxConcurrent, input.holder);
    return (await slotState(deps.db, input.holder)) === 'granted';
  },

  /** Leaves the queue or gives the slot back, and lets the next waiter in. */
  async releaseSlot(input: SlotRequest): Promise<void> {
    await release(deps.db, input.holder);
    await deps.slots.dispatch(input.capability, input.defaultMaxConcurrent);
  },

  /** AnnounceQa: puts the request on the reviewers' list (`GET /v1/qa`). */
  async announceQa(input: { requestId: string; version: number; capability: string; announcedAt: string }): Promise<void> {
    await announceQaReview(deps.db, { ...input, announcedAt: new Date(input.announcedAt) });
  },

  sendMessage: (input: SendMessageInput) => sendMessage(deps, input),
  sendNotification: (input: SendNotificationInput) => sendNotification(deps, input),

  /** QaPass / QaFail: records who decided what, when, and why. */
  async recordQaDecision(input: QaDecisionRecord): Promise<void> {
    await decideQaReview(deps.db, { ...input, decidedAt: new Date(input.decidedAt) });
  },

  /** One cycle of the document status poller (see workflows/document-status-poller.ts). */
  pollDocumentStatuses: (input: { pollingWindowMs: number; maxDocuments?: number }) => pollDocumentStatuses(documents, input),

  /** ExecuteWorkflow / Ingest. Long steps must heartbeat: that is how they learn of a cancel. */
  async executeStep(input: ExecuteStepInput): Promise<object> {
    const handler = steps[input.step];
    if (!handler) {
      throw ApplicationFailure.create({ type: 'UnknownExecutionStep', message: `unknown execution step "${input.step}"`, nonRetryable: true });
    }
    return handler({
      requestId: input.requestId,
      version: input.version,
      execution: input.execution,
      queuedSince: input.queuedSince ?? new Date().toISOString(),
      parameters: input.parameters,
    });
  },
  };
};
