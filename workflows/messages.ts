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
  /** Which version is decided; may be left out while only one version awaits QA. */
  version?: number;
  decision: 'pass' | 'fail';
  /** Who decided: the reviewer's principal id (API) or a name given by the operator (signal). */
  reviewer: string;
  comment?: string;
}

export interface QaDecisionResult {
  version: number;
  decision: 'pass' | 'fail';
  /** Where the decided version went (the request follows it when it passed). */
  state: State;
}

/**
 * A reviewer's decision. As an Update (the API) it is validated first and answers once the
 * decision has been applied; as a Signal (`temporal workflow signal --name qaDecision`) an
 * invalid one is logged and ignored.
 */
export const qaDecisionUpdate = defineUpdate<QaDecisionResult, [QaDecision]>('qaDecision');
export const qaDecisionSignal = defineSignal<[QaDecision]>('qaDecision');

/**
 * How a step that hands its work to an external system ends: the step's activity returns
 * `{ handedOff: true }`, and whoever learns the outcome (the document status poller, a callback)
 * signals it to the execution.
 */
export interface StepOutcome {
  success: boolean;
  /** Why it failed, for the audit trail and the notification. */
  error?: string;
  details?: Record<string, unknown>;
}
export const stepOutcomeSignal = defineSignal<[StepOutcome]>('stepOutcome');

/** A capability slot was granted to this request (see capabilities/slot-dispatcher.ts). */
export const slotGrantedSignal = defineSignal('slotGranted');

export interface CancelRequest {
  actor: string;
  reason: string;
}

export const cancelRequestUpdate = defineUpdate<{ state: State }, [CancelRequest]>('cancelRequest');

/** The request tells one of its executions to stop (a cancel of the request, or another version passed). */
export const cancelExecutionSignal = defineSignal<[CancelRequest]>('cancelExecution');

export interface NewVersionRequest {
  actor: string;
  parameters: Record<string, unknown>;
}

export interface RetryRequest {
  actor: string;
  /** Which version to re-run; by default the current one. */
  version?: number;
  reason?: string;
}

export interface StartedExecution {
  version: number;
  execution: number;
  workflowId: string;
}

/** A new version of the request with edited parameters, run at once. */
export const addVersionUpdate = defineUpdate<StartedExecution, [NewVersionRequest]>('addVersion');

/** An operator re-runs a version whose execution failed, as a new execution of the same version. */
export const retryExecutionUpdate = defineUpdate<StartedExecution, [RetryRequest]>('retryExecution');

/** An execution tells its request about one transition it recorded. */
export interface ExecutionReport {
  version: number;
  execution: number;
  transition: TransitionRecord;
}
/**
 * What an execution signals to its request: one transition (executions started before reports
 * were batched), or every transition recorded since its last report was delivered, in order.
 */
export type ExecutionChanged = ExecutionReport | { version: number; execution: number; transitions: TransitionRecord[] };
export const executionChangedSignal = defineSignal<[ExecutionChanged]>('executionChanged');

/** One report per transition, whichever shape the execution sent. */
export function reportsIn(changed: ExecutionChanged): ExecutionReport[] {
  const { version, execution } = changed;
  return 'transitions' in changed ? changed.transitions.map((transition) => ({ version, execution, transition })) : [changed];
}

export interface ExecutionView {
  execution: number;
  workflowId: string;
  state: State;
  error?: string;
}

export interface VersionView {
  version: number;
  state: State;
  executions: readonly ExecutionView[];
}

export interface RequestOverview {
  state: State;
  sealed: boolean;
  currentVersion: number;
  versions: readonly VersionView[];
}

/** A request's versions and executions, live from its workflow. */
export const requestOverviewQuery = defineQuery<RequestOverview>('requestOverview');

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
  /** A version passed QA (or completed), the request was cancelled, or its retry window closed. */
  RequestSealed: 'RequestSealed',
  SingleVersionOnly: 'SingleVersionOnly',
  UnknownVersion: 'UnknownVersion',
  /** Several versions await QA: the decision must name one. */
  VersionRequired: 'VersionRequired',
  NotRetryable: 'NotRetryable',
} as const;
