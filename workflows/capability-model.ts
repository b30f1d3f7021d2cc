/**
 * The vocabulary of capability state machines, from the source system's legend:
 * `[State] - <event> {Action} ... -> [State]`. Everything here is plain data so a definition can
 * travel inside a workflow's input and be replayed exactly. The unions make a typo in a
 * definition a compile error; `capabilities/validate-definition.ts` checks the shape at load.
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

/** Events sent to the submitter's `callbackUrl` by `SendMessage <name>`. */
export const messageNames = ['execution_complete', 'execution_failed'] as const;
export type MessageName = (typeof messageNames)[number];

/** E-mail templates rendered by `SendNotification <template>` (and by QA announcements and deadlines). */
export const notificationTemplates = ['workflow-complete', 'workflow-failed', 'qa-announce', 'ingest-failed', 'qa-reminder', 'qa-escalation', 'handoff-reminder'] as const;
export type NotificationTemplate = (typeof notificationTemplates)[number];

/**
 * An action as a transition lists it. `SendMessage` and `SendNotification` name what they send,
 * as in the source legend (`{SendMessage execution_complete}`); a typo fails to compile.
 */
export type ActionSpec =
  | Exclude<Action, 'SendMessage' | 'SendNotification'>
  | `SendMessage ${MessageName}`
  | `SendNotification ${NotificationTemplate}`;

export const actionSpecs: readonly ActionSpec[] = [
  ...actions.filter((a): a is Exclude<Action, 'SendMessage' | 'SendNotification'> => a !== 'SendMessage' && a !== 'SendNotification'),
  ...messageNames.map((m) => `SendMessage ${m}` as const),
  ...notificationTemplates.map((t) => `SendNotification ${t}` as const),
];

export function parseAction(spec: ActionSpec): { action: Action; argument?: string } {
  const [action, argument] = spec.split(' ') as [Action, string | undefined];
  return argument === undefined ? { action } : { action, argument };
}

/** Who hears about what: e-mail addresses per list. */
export interface Recipients {
  readonly reviewers: readonly string[];
  readonly dataAnalysts: readonly string[];
  readonly operators: readonly string[];
}

export const finalStates = ['Complete', 'Failed', 'Cancelled'] as const satisfies readonly State[];
export type FinalState = (typeof finalStates)[number];

export function isFinalState(state: State): state is FinalState {
  return (finalStates as readonly State[]).includes(state);
}

/** Names of the steps a worker knows how to run (targets of `ExecuteWorkflow` and `Ingest`). */
export const executionSteps = ['null', 'identity_proofing', 'document_upload', 'registration', 'calibration', 'calibration_ingest'] as const;
export type ExecutionStep = (typeof executionSteps)[number];

export const templates = ['run', 'run-with-qa'] as const;
export type TemplateName = (typeof templates)[number];

export interface Transition {
  readonly from: State;
  readonly event: CapabilityEvent;
  readonly actions: readonly ActionSpec[];
  readonly to: State;
}

/** Nobody waits silently for QA: reviewers are reminded, operators are told, then a policy applies. */
export interface QaDeadlines {
  /** After this long in AwaitingQa, remind the reviewers. */
  readonly reminderAfterMs: number;
  /** After this long, escalate to the operators (and again every `escalateAfterMs` past the deadline when waiting on). */
  readonly escalateAfterMs: number;
  /** After this long, apply `onDeadline`. */
  readonly deadlineMs: number;
  /** `fail`: the request fails with "QA deadline passed"; `keep-waiting`: it waits on, escalating. */
  readonly onDeadline: 'fail' | 'keep-waiting';
}

export interface QaSettings {
  /** What `Ingest` runs once a reviewer passes the products. */
  readonly ingestStep: ExecutionStep;
  readonly deadlines?: QaDeadlines;
}

export interface QueueDefaults {
  /** Executions of this capability allowed at once, until an operator changes it. */
  readonly maxConcurrent: number;
}

/** How a request of this capability may be re-run. */
export interface VersionPolicy {
  /** When true, a request runs exactly the parameters it was submitted with: no new versions. */
  readonly singleVersionOnly: boolean;
  /** After every version has failed, how long the request still accepts a new version or an operator retry before it closes. */
  readonly retryWindowMs: number;
}

export const defaultVersionPolicy: VersionPolicy = { singleVersionOnly: false, retryWindowMs: 7 * 24 * 60 * 60 * 1000 };

export interface CapabilityDefinition {
  readonly name: string;
  readonly description: string;
  readonly template: TemplateName;
  /** What `ExecuteWorkflow` runs. */
  readonly step: ExecutionStep;
  readonly initial: 'Start';
  readonly transitions: readonly Transition[];
  readonly qa?: QaSettings;
  readonly queue: QueueDefaults;
  readonly recipients: Recipients;
  readonly versions: VersionPolicy;
  /** Parameters hold personal data: sealed at rest, never shown by the API, purged after the result TTL. */
  readonly sensitiveParameters?: boolean;
  /** A step handed to an external system that answers later: nothing waits for it forever. */
  readonly handoff?: HandoffDeadlines;
  /** A step that stops heartbeating this long is taken as hung and retried (default 30 s). */
  readonly stepHeartbeatTimeoutMs?: number;
}

export interface HandoffDeadlines {
  /** After this long without an outcome, remind the operators. */
  readonly reminderAfterMs: number;
  /** After this long, the execution fails with `failureReason`. */
  readonly deadlineMs: number;
  readonly failureReason: string;
}

/** The transition a failing action falls back to: the definition's `workflow-failed` way out of `from`. */
export function failureTransition(definition: CapabilityDefinition, from: State): Transition | undefined {
  return definition.transitions.find((t) => t.from === from && t.event === 'workflow-failed');
}
