import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { State } from './capability-model';
import type { TransitionRecord } from './request-machine';

export interface RequestStateView {
  state: State;
  transitions: readonly TransitionRecord[];
}

/** Live state of a running request, straight from the workflow (the read model may lag a moment). */
export const requestStateQuery = defineQuery<RequestStateView>('requestState');

export interface QaDecision {
  decision: 'pass' | 'fail';
  /** Who decided: the reviewer's principal id (API) or a name given by the operator (signal). */
  reviewer: string;
  comment?: string;
}

export interface QaDecisionResult {
  decision: 'pass' | 'fail';
  state: State;
}

/**
 * A reviewer's decision. As an Update (the API) it is validated first and answers once the
 * decision has been applied; as a Signal (`temporal workflow signal --name qaDecision`) an
 * invalid one is logged and ignored.
 */
export const qaDecisionUpdate = defineUpdate<QaDecisionResult, [QaDecision]>('qaDecision');
export const qaDecisionSignal = defineSignal<[QaDecision]>('qaDecision');

/** A capability slot was granted to this request (see capabilities/slot-dispatcher.ts). */
export const slotGrantedSignal = defineSignal('slotGranted');

export interface CancelRequest {
  actor: string;
  reason: string;
}

export const cancelRequestUpdate = defineUpdate<{ state: State }, [CancelRequest]>('cancelRequest');

/** Failure types the handlers reject with; the API turns each into a 409. */
export const RejectionType = {
  NotAwaitingQa: 'NotAwaitingQa',
  QaAlreadyDecided: 'QaAlreadyDecided',
  RequestCancelled: 'RequestCancelled',
  RequestFinished: 'RequestFinished',
  NotCancellable: 'NotCancellable',
  InvalidDecision: 'InvalidDecision',
  /** Accepted, but the request had moved on by the time it came up (e.g. two decisions at once). */
  NoLongerApplies: 'NoLongerApplies',
} as const;
