/**
 * The vocabulary of capability state machines, from the source system's legend:
 * `[State] - <event> {Action} ... -> [State]`. Everything here is plain data so a definition can
 * travel inside a workflow's input and be replayed exactly.
 */

export const states = ['Start', 'Queued', 'Executing', 'AwaitingQa', 'Ingesting', 'Complete', 'Failed', 'Cancelled'] as const;
export type State = (typeof states)[number];

export const events = ['capability-submitted', 'resume', 'workflow-complete', 'workflow-failed', 'qa-pass', 'qa-fail', 'cancel'] as const;
export type CapabilityEvent = (typeof events)[number];

export const actions = [
  'QueueWorkflow',
  'ExecuteWorkflow',
  'SendMessage',
  'SendNotification',
  'AnnounceQa',
  'QaPass',
  'QaFail',
  'Ingest',
] as const;
export type Action = (typeof actions)[number];

export const finalStates = ['Complete', 'Failed', 'Cancelled'] as const satisfies readonly State[];
export type FinalState = (typeof finalStates)[number];

export function isFinalState(state: State): state is FinalState {
  return (finalStates as readonly State[]).includes(state);
}

/** Names of the execution steps a worker knows how to run (`ExecuteWorkflow`'s target). */
export const executionSteps = ['null'] as const;
export type ExecutionStep = (typeof executionSteps)[number];

export interface Transition {
  readonly from: State;
  readonly event: CapabilityEvent;
  readonly actions: readonly Action[];
  readonly to: State;
}

export interface CapabilityDefinition {
  readonly name: string;
  readonly template: 'run';
  readonly step: ExecutionStep;
  readonly initial: State;
  readonly transitions: readonly Transition[];
}
