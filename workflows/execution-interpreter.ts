import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  type LocalActivityOptions,
  setCurrentDetails,
  setHandler,
  Trigger,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { parseAction, type ActionSpec, type CapabilityDefinition, type CapabilityEvent, type ExecutionStep, type NotificationTemplate, type State, type Transition } from './capability-model';
import {
  cancelExecutionSignal,
  cancelRequestUpdate,
  executionChangedSignal,
  qaDecisionSignal,
  qaDecisionUpdate,
  RejectionType,
  requestStateQuery,
  slotGrantedSignal,
  stepOutcomeSignal,
  type CancelRequest,
  type StepOutcome,
  type QaDecision,
} from './messages';
import { RequestMachine, type TransitionRecord } from './request-machine';
import { capabilityStateKey } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

// Read-model writes retry until the database is back: a request never stops because PostgreSQL blinked.
const bookkeepingOptions: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
const remoteBookkeeping = proxyActivities<Activities>(bookkeepingOptions);
export const { registerRequest } = remoteBookkeeping;

/**
 * The same quick database writes as local activities: run by the worker that runs the workflow,
 * without a round trip through the server's task queue. Requests started before this was
 * introduced keep replaying with the activities they recorded (`patched('local-bookkeeping')`).
 */
export const localBookkeepingOptions: LocalActivityOptions = {
  startToCloseTimeout: '10 seconds',
  localRetryThreshold: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};
const localBookkeeping = proxyLocalActivities<Activities>(localBookkeepingOptions);

// Callbacks: retried with backoff for a day, then given up on (recorded, never blocking the request).
const { sendMessage } = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '10 minutes', maximumAttempts: 150 },
});

/** How often a queued request re-checks its place, in case a grant signal was lost. */
const SLOT_RECHECK_MS = 30_000;

// Execution steps heartbeat, so a cancelled request stops its step within a heartbeat.
const stepOptions: ActivityOptions = {
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
};
const { executeStep } = proxyActivities<Activities>(stepOptions);

/** The engine itself, as the actor of transitions nobody asked for (a slot granted, a step finished). */
export const ENGINE = 'capflow';

/** One execution of one version of a request: a run of the capability's state machine. */
export interface CapabilityExecutionInput {
  requestId: string;
  version: number;
  execution: number;
  /** Where SendMessage delivers the submitter's events, if they gave one. */
  callbackUrl?: string;
  /** Snapshot of the definition at submission: editing a definition never changes a running request. */
  definition: CapabilityDefinition;
  /** The version's parameters. */
  parameters: Record<string, unknown>;
  /** Who started it: the submitter, whoever added the version, or the operator who retried it. */
  startedBy: string;
  /** The submitter: callbacks are signed with their key's secret. */
  submittedBy: string;
  /** Queue order: the first execution queues from the request's submission, later ones from their start. */
  queuedSince: string;
  /** A retried ingestion: begins AwaitingQa with the version's passing decision already given. */
  resumeIngestion?: { reviewer: string; comment?: string };
}

export interface CapabilityExecutionResult {
  state: State;
  error?: string;
  /** Transitions its request had not yet confirmed hearing when the execution ended. */
  transitions?: TransitionRecord[];
}

/**
 * `execution`: a child of a request workflow, reporting each transition to it.
 * `single-workflow`: a request from before versions existed, which ran its one execution itself.
 */
export type InterpreterMode = 'execution' | 'single-workflow';

interface Inbound {
  event: CapabilityEvent;
  actor: string;
  details?: Record<string, unknown>;
  error?: string;
  /** Resolved once the event's transition has been applied and recorded (for Update callers). */
  applied?: Trigger<TransitionRecord>;
}

/**
 * Interprets a capability definition: waits for events, runs each transition's actions, moves the
 * state, and records every step in the read model and the UI details (and reports it to the
 * request it belongs to).
 */
export async function interpretExecution(input: CapabilityExecutionInput, mode: InterpreterMode): Promise<CapabilityExecutionResult> {
  const { definition, requestId, version, execution } = input;
  const machine = new RequestMachine(definition, input.resumeIngestion ? 'AwaitingQa' : definition.initial);
  const inbox: Inbound[] = [
    input.resumeIngestion
      ? { event: 'qa-pass', actor: input.resumeIngestion.reviewer, details: { decision: 'pass', retry: true, ...(input.resumeIngestion.comment ? { comment: input.resumeIngestion.comment } : {}) } }
      : { event: 'capability-submitted', actor: input.startedBy },
  ];
  const parent = mode === 'execution' ? workflowInfo().parent : undefined;
  // Executions started before 'lean-execution' replay as they ran: each report to the request
  // awaited in turn, each notification a round trip through the server. Lean ones report in the
  // background, in batches, and queue notifications with a local activity. The patch implies
  // every change before it, so a new execution records one patch marker (each is a history event
  // and a search attribute update) rather than one per change.
  const lean = mode === 'execution' && patched('lean-execution');
  const bookkeeping = lean || (mode === 'execution' && patched('local-bookkeeping')) ? localBookkeeping : remoteBookkeeping;
  const { sendNotification } = lean ? localBookkeeping : remoteBookkeeping;
  const { announceQa, recordQaDecision, enqueueForSlot, checkSlot, releaseSlot } = bookkeeping;
  const runningSteps = new Set<CancellationScope>();
  let recordedCount = 0;
  let lastError: string | undefined;
  // The request's place in its capability's queue; it holds a slot while Executing.
  const slot = {
    holder: workflowInfo().workflowId,
    requestId,
    workflowId: workflowInfo().workflowId,
    capability: definition.name,
    queuedSince: input.queuedSince,
    // Snapshots taken before queues existed carry no queue defaults.
    defaultMaxConcurrent: (definition.queue as CapabilityDefinition['queue'] | undefined)?.maxConcurrent ?? 10,
  };
  let waitingForSlot = false;
  let slotJoined = false;
  const pendingDeliveries: Promise<void>[] = [];
  // Where a request awaiting QA stands against its capability's deadlines.
  const qaClock = { since: 0, reminded: false, escalations: 0, expired: false };
  const slotGranted = () => {
    if (!waitingForSlot) return; // the signal and the activity's answer may both say so
    waitingForSlot = false;
    inbox.push({ event: 'resume', actor: ENGINE });
  };

  // Messages -----------------------------------------------------------------------------------
  const queued = (event: CapabilityEvent) => inbox.some((m) => m.event === event);

  const validateQaDecision = (decision: QaDecision) => {
    if (decision?.decision !== 'pass' && decision?.decision !== 'fail') reject(RejectionType.InvalidDecision, 'decision must be "pass" or "fail"');
    if (machine.state === 'Cancelled' || queued('cancel')) reject(RejectionType.RequestCancelled, 'the request is cancelled');
    if (machine.hasSeen('qa-pass') || machine.hasSeen('qa-fail') || queued('qa-pass') || queued('qa-fail')) {
      reject(RejectionType.QaAlreadyDecided, 'QA has already been decided for this request');
    }
    if (machine.state !== 'AwaitingQa') reject(RejectionType.NotAwaitingQa, `the request is not awaiting QA (it is ${machine.state})`);
  };
  const acceptQaDecision = (decision: QaDecision, applied?: Trigger<TransitionRecord>) => {
    inbox.push({
      event: decision.decision === 'pass' ? 'qa-pass' : 'qa-fail',
      actor: decision.reviewer || 'operator',
      details: { decision: decision.decision, ...(decision.comment ? { comment: decision.comment } : {}) },
      ...(applied ? { applied } : {}),
    });
  };

  setHandler(requestStateQuery, () => ({ state: machine.state, transitions: machine.transitions }));
  setHandler(slotGrantedSignal, slotGranted);
  setHandler(
    qaDecisionUpdate,
    async (decision) => {
      // Again: updates delivered together are all validated before any handler runs.
      validateQaDecision(decision);
      const applied = new Trigger<TransitionRecord>();
      acceptQaDecision(decision, applied);
      const record = await applied;
      return { version, decision: decision.decision, state: record.to };
    },
    { validator: validateQaDecision, description: 'A reviewer passes or fails the products awaiting QA' },
  );
  setHandler(
    qaDecisionSignal,
    (decision) => {
      try {
        validateQaDecision(decision);
        acceptQaDecision(decision);
      } catch (err) {
        log.warn('QA decision signal ignored', { reason: (err as Error).message });
      }
    },
    { description: 'The same decision, from the request (or an operator: temporal workflow signal --name qaDecision)' },
  );
  setHandler(
    cancelExecutionSignal,
    (request) => {
      if (machine.isFinal || queued('cancel') || !machine.transitionFor('cancel')) {
        log.warn('cancel signal ignored', { state: machine.state });
        return;
      }
      inbox.push({ event: 'cancel', actor: request.actor, details: { reason: request.reason } });
    },
    { description: 'The request stops this execution (cancelled, or another version passed)' },
  );
  setHandler(
    cancelRequestUpdate,
    async (request) => {
      const applied = new Trigger<TransitionRecord>();
      inbox.push({ event: 'cancel', actor: request.actor, details: { reason: request.reason }, applied });
      return { state: (await applied).to };
    },
    {
      validator: (_request: CancelRequest) => {
        if (machine.state === 'Cancelled' || queued('cancel')) reject(RejectionType.RequestCancelled, 'the request is already cancelled');
        if (machine.isFinal) reject(RejectionType.RequestFinished, `the request has already ended (${machine.state})`);
        if (!machine.transitionFor('cancel')) reject(RejectionType.NotCancellable, `a request cannot be cancelled while ${machine.state}`);
      },
      description: 'Cancel the request; a running execution step is cancelled too',
    },
  );

  // A step handed to an external system, and the outcome someone signals for it (in either order).
  const handedOff = new Trigger<{ kind: string; step: string }>();
  const signalledOutcome = new Trigger<StepOutcome>();
  // While a handed-off step waits: when it began, and which of its deadlines have passed.
  const handoffClock = { since: 0, reminded: false, expired: false, outcome: false };
  // Set when the deadlines to wait for change outside an event (a step was just handed off).
  let replan = false;
  setHandler(stepOutcomeSignal, (outcome) => {
    handoffClock.outcome = true;
    signalledOutcome.resolve(outcome);
  }, {
    description: 'The outcome of a step handed to an external system (the status poller, a callback)',
  });
  void Promise.all([handedOff, signalledOutcome]).then(
    ([{ kind, step }, outcome]) => {
      const details = { [kind]: step, ...outcome.details };
      inbox.push(outcome.success ? { event: 'workflow-complete', actor: ENGINE, details } : { event: 'workflow-failed', actor: ENGINE, details, error: outcome.error ?? 'the external system reported a failure' });
    },
    // Triggers reject when the workflow is cancelled; the cancel itself is handled by the loop.
    () => undefined,
  );

  // Actions ------------------------------------------------------------------------------------
  /** Starts a step; its end comes back later as `workflow-complete` / `workflow-failed`. */
  const startStep = (kind: 'execution' | 'ingestion', step: ExecutionStep) => {
    const scope = new CancellationScope();
    runningSteps.add(scope);
    void scope
      .run(() =>
        executeStep.executeWithOptions({ ...stepOptions, ...(definition.stepHeartbeatTimeoutMs ? { heartbeatTimeout: definition.stepHeartbeatTimeoutMs } : {}), summary: `${kind} step "${step}"` }, [{ requestId, version, execution, kind, step, parameters: input.parameters, queuedSince: input.queuedSince }]),
      )
      .then(
        (result) => {
          const answer = result as { handedOff?: boolean; details?: Record<string, unknown> } | undefined;
          // Handed to an external system: the step ends when its outcome is signalled.
          if (answer?.handedOff) {
            handoffClock.since = Date.now();
            replan = true; // the wait in progress has no deadline timer yet
            handedOff.resolve({ kind, step });
          } else {
            inbox.push({ event: 'workflow-complete', actor: ENGINE, details: { [kind]: step, ...answer?.details } });
          }
        },
        (err: unknown) => {
          if (!isCancellation(err)) inbox.push({ event: 'workflow-failed', actor: ENGINE, details: { [kind]: step }, error: describe(err) });
        },
      )
      .finally(() => runningSteps.delete(scope));
  };

  const runAction = async (spec: ActionSpec, cause: Inbound, to: State): Promise<void> => {
    const { action, argument } = parseAction(spec);
    // The transition these actions belong to will be number `seq`: the idempotency key of what they send.
    const seq = machine.transitions.length + 1;
    switch (action) {
      case 'QueueWorkflow':
        // Requests started before capability queues existed were granted a slot at once.
        if (!lean && !patched('capability-queues')) {
          inbox.push({ event: 'resume', actor: ENGINE });
          return;
        }
        waitingForSlot = true;
        slotJoined = true;
        if (await enqueueForSlot(slot)) slotGranted();
        return;
      case 'ExecuteWorkflow':
        return startStep('execution', definition.step);
      case 'Ingest':
        return startStep('ingestion', definition.qa!.ingestStep);
      case 'AnnounceQa':
        await announceQa({ requestId, version, capability: definition.name, announcedAt: new Date().toISOString() });
        // Requests announced before notifications existed told nobody.
        if (lean || patched('qa-announce-notification')) await notify('qa-announce', seq, to, cause);
        return;
      case 'SendMessage': {
        if (!input.callbackUrl) return; // the submitter asked for no callbacks
        // In the background: a slow or dead callback receiver never holds the request (or its
        // slot) back. Best effort by design: one never accepted is recorded, not a failure.
        const delivery = sendMessage({
          requestId,
          version,
          execution,
          seq,
          message: argument!,
          callbackUrl: input.callbackUrl,
          submittedBy: input.submittedBy,
          event: {
            requestId,
            version,
            execution,
            capability: definition.name,
            state: to,
            transition: { seq, from: machine.state, event: cause.event, to },
            occurredAt: new Date().toISOString(),
          },
        }).catch((err: unknown) => {
          if (!isCancellation(err)) log.warn('callback not delivered', { requestId, seq, error: describe(err) });
        });
        pendingDeliveries.push(delivery);
        return;
      }
      case 'SendNotification':
        await notify(argument as NotificationTemplate, seq, to, cause);
        return;
      case 'QaPass':
      case 'QaFail':
        await recordQaDecision({
          requestId,
          version,
          decision: action === 'QaPass' ? 'pass' : 'fail',
          reviewer: cause.actor,
          comment: typeof cause.details?.comment === 'string' ? cause.details.comment : null,
          decidedAt: new Date().toISOString(),
        });
        return;
      default:
        throw ApplicationFailure.create({ type: 'UnsupportedAction', message: `action ${action} is not supported by this worker`, nonRetryable: true });
    }
  };

  const notify = (template: NotificationTemplate, seq: number, to: State, cause: Inbound, occurrence = 0) =>
    sendNotification({
      requestId,
      version,
      execution,
      seq,
      occurrence,
      template,
      capability: definition.name,
      state: to,
      // Snapshots taken before notifications existed carry no recipients.
      recipients: (definition.recipients as CapabilityDefinition['recipients'] | undefined) ?? { reviewers: [], dataAnalysts: [], operators: [] },
      ...(cause.error ? { error: cause.error } : {}),
    });

  // Transitions --------------------------------------------------------------------------------
  const flushRecords = async () => {
    while (recordedCount < machine.transitions.length) {
      const transition = machine.transitions[recordedCount]!;
      const summary = `record ${transition.from} → ${transition.to}`;
      await (bookkeeping === localBookkeeping
        ? localBookkeeping.recordTransition.executeWithOptions({ ...localBookkeepingOptions, summary }, [record(transition)])
        : remoteBookkeeping.recordTransition.executeWithOptions({ ...bookkeepingOptions, summary }, [record(transition)]));
      recordedCount += 1;
      if (parent && !lean) await report(transition);
    }
  };
  const record = (transition: TransitionRecord) => ({ requestId, version, execution, ...(mode === 'single-workflow' ? { updatesRequest: true } : {}), transition });

  /** Tells the request; if it has already closed (cancelled through Temporal), there is no one to tell. */
  const report = async (transition: TransitionRecord) => {
    try {
      await getExternalWorkflowHandle(parent!.workflowId).signal(executionChangedSignal, { version, execution, transition });
    } catch (err) {
      log.warn('could not report to the request', { requestId, version, execution, error: describe(err) });
    }
  };

  // Reports in the background, sent when the execution settles down to wait: the request hears
  // together what one burst of work recorded, and the execution goes on while it hears. One
  // signal is in flight at a time, so the request hears every transition in order. The last
  // ones travel in the execution's result instead (see the end).
  let reported = 0;
  let reporting = false;
  const reportInBackground = () => {
    if (reporting || reported >= recordedCount) return;
    reporting = true;
    const upTo = recordedCount;
    const transitions = machine.transitions.slice(reported, upTo);
    // Never cancelled with the execution: its request must hear how it ended.
    void CancellationScope.nonCancellable(() => getExternalWorkflowHandle(parent!.workflowId).signal(executionChangedSignal, { version, execution, transitions }))
      .catch((err: unknown) => log.warn('could not report to the request', { requestId, version, execution, error: describe(err) }))
      .then(() => {
        reported = upTo;
        reporting = false;
        reportInBackground();
      });
  };

  const enter = async (transition: Transition, cause: Inbound, error: string | undefined): Promise<TransitionRecord> => {
    const record = machine.apply(
      { event: cause.event, to: transition.to, actions: transition.actions, actor: cause.actor, details: cause.details ?? {}, ...(error ? { error } : {}) },
      new Date(),
    );
    if (error) lastError = error;
    if (record.to === 'AwaitingQa') Object.assign(qaClock, { since: Date.now(), reminded: false, escalations: 0, expired: false });
    if (machine.state === 'Cancelled') for (const scope of runningSteps) scope.cancel();
    // Every way out of the queue or of execution gives the slot back.
    if (slotJoined && (record.from === 'Queued' || record.from === 'Executing') && record.to !== 'Executing') {
      waitingForSlot = false;
      slotJoined = false;
      await releaseSlot(slot);
    }
    // The request's state is the one operators query by; an execution's shows in its own details.
    if (mode === 'single-workflow') upsertSearchAttributes([{ key: capabilityStateKey, value: record.to }]);
    setCurrentDetails(`**${machine.state}** since ${record.occurredAt}\n\nLast transition: [${record.from}] - <${record.event}> -> [${record.to}] by ${record.actor}`);
    await flushRecords();
    return record;
  };

  /** Runs one event; a failing action falls back to the definition's failure transition. */
  const handle = async (inbound: Inbound): Promise<void> => {
    const transition = machine.transitionFor(inbound.event);
    if (!transition) {
      log.warn('event has no transition from the current state; ignored', { event: inbound.event, state: machine.state });
      inbound.applied?.reject(
        ApplicationFailure.create({ type: RejectionType.NoLongerApplies, message: `<${inbound.event}> no longer applies: the request is ${machine.state}` }),
      );
      return;
    }
    let record: TransitionRecord;
    try {
      for (const action of transition.actions) await runAction(action, inbound, transition.to);
      record = await enter(transition, inbound, inbound.error);
    } catch (err) {
      if (isCancellation(err)) throw err;
      record = await fail(inbound, describe(err));
    }
    inbound.applied?.resolve(record);
  };

  const fail = async (cause: Inbound, error: string): Promise<TransitionRecord> => {
    const fallback = machine.failureFor();
    if (fallback) {
      try {
        for (const action of fallback.actions) await runAction(action, { ...cause, error }, fallback.to);
        return await enter(fallback, { ...cause, event: fallback.event }, error);
      } catch (err) {
        if (isCancellation(err)) throw err;
        error = `${error}; then the failure transition failed too: ${describe(err)}`;
      }
    }
    // No way out declared (or it failed as well): end visibly rather than wait forever.
    return enter({ from: machine.state, event: cause.event, actions: [], to: 'Failed' }, cause, error);
  };

  /** The next QA deadline step, if the request is awaiting QA under a capability that has deadlines. */
  const nextQaStep = (): { at: number; run: () => Promise<void> } | undefined => {
    const deadlines = machine.state === 'AwaitingQa' ? definition.qa?.deadlines : undefined;
    if (!deadlines) return undefined;
    const seq = machine.transitions.length + 1;
    const notice = (template: 'qa-reminder' | 'qa-escalation', occurrence: number) =>
      notify(template, seq, 'AwaitingQa', { event: 'qa-fail', actor: ENGINE }, occurrence);
    const escalate = async () => {
      qaClock.escalations += 1;
      await notice('qa-escalation', qaClock.escalations - 1);
    };
    if (!qaClock.reminded) {
      return {
        at: qaClock.since + deadlines.reminderAfterMs,
        run: async () => {
          qaClock.reminded = true;
          await notice('qa-reminder', 0);
        },
      };
    }
    if (qaClock.escalations === 0) return { at: qaClock.since + deadlines.escalateAfterMs, run: escalate };
    if (!qaClock.expired) {
      return {
        at: qaClock.since + deadlines.deadlineMs,
        run: async () => {
          qaClock.expired = true;
          if (deadlines.onDeadline === 'fail') {
            inbox.push({ event: 'qa-fail', actor: ENGINE, details: { decision: 'fail', comment: 'QA deadline passed' }, error: 'QA deadline passed' });
          } else {
            await escalate();
          }
        },
      };
    }
    // Waiting on past the deadline: keep escalating.
    return { at: qaClock.since + deadlines.deadlineMs + (qaClock.escalations - 1) * deadlines.escalateAfterMs, run: escalate };
  };

  /** While a handed-off step waits for its outcome: remind the operators, then fail (nothing waits forever). */
  const nextHandoffStep = (): { at: number; run: () => Promise<void> } | undefined => {
    const deadlines = definition.handoff;
    if (!deadlines || !handoffClock.since || handoffClock.outcome || handoffClock.expired || machine.state !== 'Executing') return undefined;
    if (!handoffClock.reminded) {
      return {
        at: handoffClock.since + deadlines.reminderAfterMs,
        run: async () => {
          handoffClock.reminded = true;
          await notify('handoff-reminder', machine.transitions.length + 1, 'Executing', { event: 'workflow-failed', actor: ENGINE });
        },
      };
    }
    return {
      at: handoffClock.since + deadlines.deadlineMs,
      run: async () => {
        handoffClock.expired = true;
        inbox.push({ event: 'workflow-failed', actor: ENGINE, details: { execution: definition.step }, error: deadlines.failureReason });
      },
    };
  };

  /** Waits for the next event; on the way, re-checks a queue place and keeps QA and hand-off deadlines. */
  const nextEvent = async (): Promise<Inbound | undefined> => {
    if (parent && lean && inbox.length === 0) reportInBackground();
    replan = false;
    const qaStep = nextQaStep() ?? nextHandoffStep();
    const recheckSlot = async () => {
      if (await checkSlot(slot)) slotGranted();
    };
    const wakeUps = [...(waitingForSlot ? [{ at: Date.now() + SLOT_RECHECK_MS, run: recheckSlot }] : []), ...(qaStep ? [qaStep] : [])];
    const woken = () => inbox.length > 0 || replan;
    if (wakeUps.length === 0) {
      await condition(woken);
    } else {
      const first = wakeUps.reduce((a, b) => (b.at < a.at ? b : a));
      if (!(await condition(woken, Math.max(first.at - Date.now(), 1)))) {
        await first.run();
        return undefined;
      }
    }
    return inbox.shift();
  };

  // The loop -----------------------------------------------------------------------------------
  if (mode === 'single-workflow') {
    await registerRequest({ requestId, capability: definition.name, parameters: input.parameters, submittedBy: input.submittedBy, submittedAt: input.queuedSince, singleWorkflow: true });
  }
  try {
    while (!machine.isFinal) {
      const inbound = await nextEvent();
      if (inbound) await handle(inbound);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled through Temporal itself (`temporal workflow cancel`): record it as a cancel.
    await CancellationScope.nonCancellable(async () => {
      const cause: Inbound = { event: 'cancel', actor: 'temporal', details: { reason: 'workflow cancelled through Temporal' } };
      await enter(machine.transitionFor('cancel') ?? { from: machine.state, event: 'cancel', actions: [], to: 'Cancelled' }, cause, undefined);
    });
  }
  // The request has ended; callbacks still being retried finish before the workflow closes. The
  // request must not wait for them to hear the end, so it is told now if there are any.
  if (parent && lean && pendingDeliveries.length > 0) reportInBackground();
  await Promise.all(pendingDeliveries);
  // Let Update callers waiting on a transition that will never come hear why.
  for (const pending of inbox) pending.applied?.reject(ApplicationFailure.create({ type: RejectionType.RequestFinished, message: `the request ended ${machine.state}` }));

  // A report still in flight is let land first, so that its acknowledgement does not arrive while
  // the execution completes: the server refuses a completion that missed a new event, and the
  // retried task records the end again (see recordTransition).
  if (lean) await CancellationScope.nonCancellable(() => condition(() => !reporting));
  // Whatever the request has not confirmed hearing goes with the result.
  const unconfirmed = parent && lean ? machine.transitions.slice(reported) : [];
  return { state: machine.state, ...(lastError === undefined ? {} : { error: lastError }), ...(unconfirmed.length ? { transitions: unconfirmed } : {}) };
}

export function reject(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
