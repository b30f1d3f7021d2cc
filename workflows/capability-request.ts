import {
  ApplicationFailure,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  Trigger,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createActivities } from '../activities';
import { capabilityExecution } from './capability-execution';
import { defaultVersionPolicy, type CapabilityDefinition, type State } from './capability-model';
import { ENGINE, describe, interpretExecution, localBookkeepingOptions, reject, type CapabilityExecutionInput } from './execution-interpreter';
import {
  addVersionUpdate,
  cancelExecutionSignal,
  cancelRequestUpdate,
  executionChangedSignal,
  qaDecisionSignal,
  qaDecisionUpdate,
  RejectionType,
  reportsIn,
  requestOverviewQuery,
  retryExecutionUpdate,
  type CancelRequest,
  type ExecutionReport,
  type NewVersionRequest,
  type QaDecision,
  type QaDecisionResult,
  type RetryRequest,
  type StartedExecution,
} from './messages';
import type { TransitionRecord } from './request-machine';
import { capabilityNameKey, capabilityStateKey, requestIdKey } from './search-attributes';
import { VersionBook, type ExecutionState, type Refusal, type RequestEventType, type VersionState } from './version-book';

type Activities = ReturnType<typeof createActivities>;

const remoteBookkeeping = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
// Quick database writes, run in the worker without a round trip through the server (see execution-interpreter.ts).
const localBookkeeping = proxyLocalActivities<Activities>(localBookkeepingOptions);

export interface CapabilityRequestInput {
  requestId: string;
  /** Where SendMessage delivers the submitter's events, if they gave one. */
  callbackUrl?: string;
  /** Snapshot of the definition at submission: editing a definition never changes a running request. */
  definition: CapabilityDefinition;
  /** Version 1's parameters. */
  parameters: Record<string, unknown>;
  submittedBy: string;
  submittedAt: string;
}

export interface CapabilityRequestResult {
  state: State;
  error?: string;
}

type Command =
  // Applied together and published once: an execution batches what it recorded meanwhile.
  | { kind: 'report'; reports: ExecutionReport[] }
  | { kind: 'ended'; version: number; execution: number; outcome: { state?: State; error?: string; transitions?: TransitionRecord[] } }
  | { kind: 'add-version'; request: NewVersionRequest; reply: Trigger<StartedExecution> }
  | { kind: 'retry'; request: RetryRequest; reply: Trigger<StartedExecution> }
  | { kind: 'qa'; version: number; decision: QaDecision; reply?: Trigger<QaDecisionResult> }
  | { kind: 'cancel'; request: CancelRequest };

/**
 * A capability request: its versions (parameters) and their executions, each a child workflow
 * running the capability's state machine. The request routes QA decisions to the version they
 * name, lets one version win and stops the others, and stays open after every version failed so
 * that a new version or an operator retry can still come — until its retry window passes.
 */
export async function capabilityRequest(input: CapabilityRequestInput): Promise<CapabilityRequestResult> {
  // Requests started before versions existed ran their one execution in this workflow.
  if (!patched('request-versions')) {
    return interpretExecution(
      { ...input, version: 1, execution: 1, startedBy: input.submittedBy, queuedSince: input.submittedAt },
      'single-workflow',
    );
  }

  const { requestId, definition } = input;
  // Requests started before local bookkeeping replay with the activities they recorded.
  const { registerRequest, recordRequestEvent, recordRequestState } = patched('local-bookkeeping') ? localBookkeeping : remoteBookkeeping;
  // Snapshots taken before versions existed carry no version policy.
  const policy = (definition.versions as CapabilityDefinition['versions'] | undefined) ?? defaultVersionPolicy;
  const book = new VersionBook(requestId, policy);
  // Version 1 exists from the start, so queries and messages always find a current version.
  const first = book.addVersion(input.parameters, input.submittedBy);
  book.startExecution(first);
  const inbox: Command[] = [];
  const decisionsInFlight = new Map<string, { decision: QaDecision; reply?: Trigger<QaDecisionResult> }>();
  // Answers to Update callers wait until the read model shows what they caused (read your writes).
  const answersAfterPublish: (() => void)[] = [];
  const cancelsInFlight: Trigger<{ state: State }>[] = [];
  let seq = 0;
  let recorded = { state: '', sealed: false, currentVersion: 0 };
  // The API starts the workflow with CapabilityState = the definition's initial state.
  let searchedState: State = definition.initial;

  const refuse = (refusal: Refusal | undefined) => {
    if (refusal) reject(refusal.type, refusal.message);
  };
  const qaTarget = (decision: QaDecision): VersionState => {
    if (decision?.decision !== 'pass' && decision?.decision !== 'fail') reject(RejectionType.InvalidDecision, 'decision must be "pass" or "fail"');
    const target = book.qaTarget(decision.version);
    if ('type' in target) reject(target.type, target.message);
    return target;
  };
  /** Marks the decision in flight at once, so a second decision arriving meanwhile is refused. */
  const acceptDecision = (decision: QaDecision, reply?: Trigger<QaDecisionResult>) => {
    const version = qaTarget(decision);
    latest(version).pendingDecision = decision.decision;
    inbox.push({ kind: 'qa', version: version.version, decision, ...(reply ? { reply } : {}) });
  };

  // Messages -----------------------------------------------------------------------------------
  setHandler(requestOverviewQuery, () => book.overview());
  setHandler(executionChangedSignal, (changed) => void inbox.push({ kind: 'report', reports: reportsIn(changed) }));
  setHandler(
    qaDecisionUpdate,
    async (decision) => {
      const reply = new Trigger<QaDecisionResult>();
      acceptDecision(decision, reply); // validated again: updates delivered together are all validated first
      return await reply;
    },
    { validator: (decision) => void qaTarget(decision), description: 'A reviewer passes or fails a version awaiting QA ("version" may be left out while only one awaits)' },
  );
  setHandler(
    qaDecisionSignal,
    (decision) => {
      try {
        acceptDecision(decision);
      } catch (err) {
        log.warn('QA decision signal ignored', { reason: (err as Error).message });
      }
    },
    { description: 'The same decision for operators: temporal workflow signal --name qaDecision --input \'{"version":1,"decision":"pass","reviewer":"ops"}\'' },
  );
  /** Queues a command for the loop and waits for its answer (Updates answer once it has been applied). */
  const ask = async <T>(command: (reply: Trigger<T>) => Command): Promise<T> => {
    const reply = new Trigger<T>();
    inbox.push(command(reply));
    return await reply;
  };
  setHandler(
    addVersionUpdate,
    (request) => ask<StartedExecution>((reply) => ({ kind: 'add-version', request, reply })),
    { validator: (_request: NewVersionRequest) => refuse(book.refuseNewVersion()), description: 'A new version with edited parameters, run at once' },
  );
  setHandler(
    retryExecutionUpdate,
    (request) => ask<StartedExecution>((reply) => ({ kind: 'retry', request, reply })),
    {
      validator: (request) => {
        const target = book.retryTarget(request.version);
        if ('type' in target) reject(target.type, target.message);
      },
      description: 'An operator re-runs a failed version as a new execution',
    },
  );
  setHandler(
    cancelRequestUpdate,
    async (request) => {
      refuse(book.refuseCancel());
      book.cancel(request.actor, request.reason);
      const done = new Trigger<{ state: State }>();
      cancelsInFlight.push(done);
      inbox.push({ kind: 'cancel', request });
      return await done;
    },
    { validator: (_request: CancelRequest) => refuse(book.refuseCancel()), description: 'Cancel the request: every running execution is cancelled' },
  );

  // Bookkeeping --------------------------------------------------------------------------------
  const snapshot = () => ({ state: book.state, sealed: book.sealed, currentVersion: book.current.version });

  const recordEvent = async (
    type: RequestEventType,
    actor: string,
    details: Record<string, unknown>,
    refs: { version?: VersionState; execution?: ExecutionState; newVersion?: boolean } = {},
  ) => {
    seq += 1;
    recorded = snapshot();
    await recordRequestEvent({
      requestId,
      event: {
        seq,
        type,
        actor,
        details,
        occurredAt: new Date().toISOString(),
        ...(refs.version ? { version: refs.version.version } : {}),
        ...(refs.newVersion && refs.version ? { newVersion: { parameters: refs.version.parameters } } : {}),
        ...(refs.execution ? { execution: refs.execution.execution, newExecution: { workflowId: refs.execution.workflowId } } : {}),
      },
      snapshot: recorded,
      ...(definition.sensitiveParameters ? { sensitive: true } : {}),
    });
  };

  /** The read model, the search attribute and the Web UI follow the request's state. */
  const publish = async () => {
    const now = snapshot();
    if (now.state !== searchedState) {
      searchedState = now.state;
      upsertSearchAttributes([{ key: capabilityStateKey, value: now.state }]);
    }
    setCurrentDetails(
      [`**${now.state}**${now.sealed ? ' (sealed)' : ''}, current version ${now.currentVersion}`, '', ...book.overview().versions.map((v) => `- v${v.version}: ${v.state} (${v.executions.length} execution(s))`)].join('\n'),
    );
    if (now.state === recorded.state && now.sealed === recorded.sealed && now.currentVersion === recorded.currentVersion) return;
    seq += 1;
    recorded = now;
    await recordRequestState({ requestId, seq, snapshot: now });
  };

  // Executions ---------------------------------------------------------------------------------
  const launch = async (
    version: VersionState,
    actor: string,
    options: { resumeIngestion?: CapabilityExecutionInput['resumeIngestion']; newVersion?: boolean; execution?: ExecutionState } = {},
  ) => {
    const execution = options.execution ?? book.startExecution(version, { resumesIngestion: !!options.resumeIngestion });
    await recordEvent(options.newVersion ? 'version-added' : 'execution-started', actor, {}, { version, execution, newVersion: !!options.newVersion });
    const first = version.version === 1 && execution.execution === 1;
    const child = await startChild(capabilityExecution, {
      workflowId: execution.workflowId,
      args: [
        {
          requestId,
          version: version.version,
          execution: execution.execution,
          ...(input.callbackUrl ? { callbackUrl: input.callbackUrl } : {}),
          definition,
          parameters: version.parameters,
          startedBy: actor,
          submittedBy: input.submittedBy,
          // The first execution keeps the request's place in the queue; later ones queue from now.
          queuedSince: first ? input.submittedAt : new Date().toISOString(),
          ...(options.resumeIngestion ? { resumeIngestion: options.resumeIngestion } : {}),
        },
      ],
      // A request terminated by hand still lets its executions give their queue slots back.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `${definition.name} request ${requestId}: version ${version.version}, execution ${execution.execution}`,
      typedSearchAttributes: [
        { key: capabilityNameKey, value: definition.name },
        { key: requestIdKey, value: requestId },
      ],
    });
    void child.result().then(
      (outcome) => inbox.push({ kind: 'ended', version: version.version, execution: execution.execution, outcome }),
      (err: unknown) => inbox.push({ kind: 'ended', version: version.version, execution: execution.execution, outcome: { error: describe(err) } }),
    );
    return { version: version.version, execution: execution.execution, workflowId: execution.workflowId };
  };

  /** A sealed or cancelled request stops its other executions: QaFail if awaiting QA, cancel otherwise. */
  const stopTheOthers = async () => {
    for (const order of book.stopOrders()) {
      order.execution.toldToStopIn = order.execution.state;
      const child = getExternalWorkflowHandle(order.execution.workflowId);
      const actor = book.cancelled?.actor ?? ENGINE;
      if (order.how === 'qa-fail') await child.signal(qaDecisionSignal, { decision: 'fail', reviewer: ENGINE, comment: order.reason });
      else await child.signal(cancelExecutionSignal, { actor, reason: order.reason });
    }
  };

  /** Answers the reviewer whose decision the execution has now applied (or moved past). */
  const settleDecision = (report: ExecutionReport) => {
    const execution = book.version(report.version)?.executions[report.execution - 1];
    const inFlight = execution && decisionsInFlight.get(execution.workflowId);
    if (!inFlight || report.transition.from !== 'AwaitingQa') return;
    decisionsInFlight.delete(execution.workflowId);
    const applied = report.transition.event === (inFlight.decision.decision === 'pass' ? 'qa-pass' : 'qa-fail') && report.transition.actor === inFlight.decision.reviewer;
    const reply = inFlight.reply;
    if (!reply) return;
    if (applied) answersAfterPublish.push(() => reply.resolve({ version: report.version, decision: inFlight.decision.decision, state: report.transition.to }));
    else reply.reject(ApplicationFailure.create({ type: RejectionType.NoLongerApplies, message: `version ${report.version} moved on: ${report.transition.event} by ${report.transition.actor}` }));
  };

  const answerOrRefuse = async <T>(reply: Trigger<T>, refusal: Refusal | undefined, run: () => Promise<T>) => {
    if (refusal) reply.reject(ApplicationFailure.create({ type: refusal.type, message: refusal.message }));
    else reply.resolve(await run());
  };

  const process = async (command: Command) => {
    switch (command.kind) {
      case 'report':
        for (const report of command.reports) if (book.apply(report)) settleDecision(report);
        break;
      case 'ended': {
        // Its last transitions may come with its result rather than by report.
        const last = reportsIn({ version: command.version, execution: command.execution, transitions: command.outcome.transitions ?? [] });
        for (const report of last) if (book.apply(report)) settleDecision(report);
        book.ended(command.version, command.execution, command.outcome);
        const execution = book.version(command.version)?.executions[command.execution - 1];
        const inFlight = execution && decisionsInFlight.get(execution.workflowId);
        if (inFlight) {
          decisionsInFlight.delete(execution.workflowId);
          inFlight.reply?.reject(ApplicationFailure.create({ type: RejectionType.NoLongerApplies, message: `version ${command.version} ended ${execution.state}` }));
        }
        break;
      }
      case 'add-version':
        await answerOrRefuse(command.reply, book.refuseNewVersion(), () =>
          launch(book.addVersion(command.request.parameters, command.request.actor), command.request.actor, { newVersion: true }),
        );
        break;
      case 'retry': {
        const target = book.retryTarget(command.request.version);
        await answerOrRefuse(command.reply, 'type' in target ? target : undefined, async () => {
          const { version, resumeIngestion } = target as Exclude<typeof target, Refusal>;
          await recordEvent('retry-requested', command.request.actor, { ...(command.request.reason ? { reason: command.request.reason } : {}) }, { version });
          return launch(version, command.request.actor, resumeIngestion ? { resumeIngestion } : {});
        });
        break;
      }
      case 'qa': {
        const execution = latest(book.version(command.version)!);
        if (execution.state !== 'AwaitingQa') {
          command.reply?.reject(ApplicationFailure.create({ type: RejectionType.NoLongerApplies, message: `version ${command.version} is no longer awaiting QA (it is ${execution.state})` }));
          break;
        }
        decisionsInFlight.set(execution.workflowId, { decision: command.decision, ...(command.reply ? { reply: command.reply } : {}) });
        const { decision, reviewer, comment } = command.decision;
        await getExternalWorkflowHandle(execution.workflowId).signal(qaDecisionSignal, { decision, reviewer, ...(comment ? { comment } : {}) });
        break;
      }
      case 'cancel':
        await recordEvent('cancel-requested', command.request.actor, { reason: command.request.reason });
        break;
    }
    const wasSealed = recorded.sealed;
    await stopTheOthers();
    if (book.sealed && !wasSealed && !book.cancelled) await recordEvent('sealed', ENGINE, { reason: `version ${book.winner!.version} ${book.winner!.how}` });
    await publish();
    for (const answer of answersAfterPublish.splice(0)) answer();
    if (!book.hasActiveExecutions) for (const done of cancelsInFlight.splice(0)) done.resolve({ state: book.state });
  };

  // The loop -----------------------------------------------------------------------------------
  await registerRequest({
    requestId,
    capability: definition.name,
    parameters: input.parameters,
    submittedBy: input.submittedBy,
    submittedAt: input.submittedAt,
    ...(definition.sensitiveParameters ? { sensitive: true } : {}),
  });
  await launch(first, input.submittedBy, { newVersion: true, execution: book.version(1)!.executions[0]! });
  await publish();
  try {
    while (!book.isOver) {
      if (!book.hasOpenExecutions && inbox.length === 0) {
        // Every version has failed: open for a new version or a retry until the window passes.
        if (!(await condition(() => inbox.length > 0, Math.max(policy.retryWindowMs, 1)))) {
          book.closed = true;
          await recordEvent('closed', ENGINE, { reason: 'the retry window passed with every version failed' });
          break;
        }
      }
      await condition(() => inbox.length > 0);
      await process(inbox.shift()!);
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // Cancelled through Temporal itself (`temporal workflow cancel`): the executions are cancelled
    // with it; wait for them to say so, and record who did it.
    await CancellationScope.nonCancellable(async () => {
      if (!book.cancelled && book.hasActiveExecutions) {
        book.cancel('temporal', 'workflow cancelled through Temporal');
        await recordEvent('cancel-requested', 'temporal', { reason: 'workflow cancelled through Temporal' });
      }
      while (book.hasOpenExecutions) {
        await condition(() => inbox.length > 0);
        await process(inbox.shift()!);
      }
      await publish();
    });
  }
  // Let Update callers waiting on something that will never come hear why.
  const ended = () => ApplicationFailure.create({ type: RejectionType.RequestFinished, message: `the request ended ${book.state}` });
  for (const pending of inbox) if ('reply' in pending) pending.reply?.reject(ended());
  for (const pending of decisionsInFlight.values()) pending.reply?.reject(ended());
  const error = latest(book.current).error;
  return { state: book.state, ...(book.state === 'Failed' && error ? { error } : {}) };
}

function latest(version: VersionState): ExecutionState {
  return version.executions[version.executions.length - 1]!;
}
