import { defaultVersionPolicy, type CapabilityDefinition, type ExecutionStep, type HandoffDeadlines, type QaSettings, type Recipients, type Transition, type VersionPolicy } from './capability-model';

const noRecipients: Recipients = { reviewers: [], dataAnalysts: [], operators: [] };

/**
 * The *run* template of the source system:
 * ```
 * [Start] - <capability-submitted> {QueueWorkflow} -> [Queued]
 * [Queued] - <resume> {ExecuteWorkflow} -> [Executing]
 * [Executing] - <workflow-complete> {SendMessage execution_complete} {SendNotification workflow-complete} -> [Complete]
 * [Executing] - <workflow-failed> {SendMessage execution_failed} {SendNotification workflow-failed} -> [Failed]
 * ```
 * plus `<cancel>` from every state before the end.
 */
export function run(options: {
  name: string;
  description: string;
  step: ExecutionStep;
  maxConcurrent?: number;
  recipients?: Recipients;
  versions?: Partial<VersionPolicy>;
  sensitiveParameters?: boolean;
  handoff?: HandoffDeadlines;
}): CapabilityDefinition {
  return {
    name: options.name,
    description: options.description,
    template: 'run',
    step: options.step,
    queue: { maxConcurrent: options.maxConcurrent ?? 10 },
    recipients: options.recipients ?? noRecipients,
    versions: { ...defaultVersionPolicy, ...options.versions },
    ...(options.sensitiveParameters ? { sensitiveParameters: true } : {}),
    ...(options.handoff ? { handoff: options.handoff } : {}),
    initial: 'Start',
    transitions: [
      { from: 'Start', event: 'capability-submitted', actions: ['QueueWorkflow'], to: 'Queued' },
      { from: 'Queued', event: 'resume', actions: ['ExecuteWorkflow'], to: 'Executing' },
      { from: 'Executing', event: 'workflow-complete', actions: ['SendMessage execution_complete', 'SendNotification workflow-complete'], to: 'Complete' },
      { from: 'Executing', event: 'workflow-failed', actions: ['SendMessage execution_failed', 'SendNotification workflow-failed'], to: 'Failed' },
      { from: 'Queued', event: 'cancel', actions: [], to: 'Cancelled' },
      { from: 'Executing', event: 'cancel', actions: [], to: 'Cancelled' },
    ],
  };
}

/**
 * QA as a decorator on any run template: the successful end of execution goes to `AwaitingQa`
 * instead of `Complete`; a pass ingests, a fail ends the request.
 * ```
 * [Executing] - <workflow-complete> {AnnounceQa} -> [AwaitingQa]
 * [AwaitingQa] - <qa-pass> {QaPass} {Ingest} -> [Ingesting]
 * [AwaitingQa] - <qa-fail> {QaFail} -> [Failed]
 * [Ingesting] - <workflow-complete> {SendMessage execution_complete} {SendNotification workflow-complete} -> [Complete]
 * [Ingesting] - <workflow-failed> {SendMessage execution_failed} {SendNotification ingest-failed} -> [Failed]
 * ```
 */
export function withQa(template: CapabilityDefinition, qa: QaSettings): CapabilityDefinition {
  const decorated: Transition[] = template.transitions.map((t) =>
    t.from === 'Executing' && t.event === 'workflow-complete' ? { ...t, actions: ['AnnounceQa'], to: 'AwaitingQa' } : t,
  );
  return {
    ...template,
    template: 'run-with-qa',
    qa,
    transitions: [
      ...decorated,
      { from: 'AwaitingQa', event: 'qa-pass', actions: ['QaPass', 'Ingest'], to: 'Ingesting' },
      { from: 'AwaitingQa', event: 'qa-fail', actions: ['QaFail'], to: 'Failed' },
      { from: 'AwaitingQa', event: 'cancel', actions: [], to: 'Cancelled' },
      { from: 'Ingesting', event: 'workflow-complete', actions: ['SendMessage execution_complete', 'SendNotification workflow-complete'], to: 'Complete' },
      { from: 'Ingesting', event: 'workflow-failed', actions: ['SendMessage execution_failed', 'SendNotification ingest-failed'], to: 'Failed' },
    ],
  };
}
