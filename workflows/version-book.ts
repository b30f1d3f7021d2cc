import { isFinalState, type CapabilityEvent, type State } from './capability-model';
import { executionWorkflowId } from './ids';
import { RejectionType, type ExecutionReport, type RequestOverview } from './messages';

/** What happened to a request as a whole (not to one execution), as its audit trail records it. */
export type RequestEventType = 'version-added' | 'execution-started' | 'retry-requested' | 'cancel-requested' | 'sealed' | 'closed';

/** Why a command does not apply: the workflow turns it into a rejected Update (a 409 at the API). */
export interface Refusal {
  type: (typeof RejectionType)[keyof typeof RejectionType];
  message: string;
}

export interface ExecutionState {
  execution: number;
  workflowId: string;
  state: State;
  /** The event that led to `state`: tells a QA fail from a failed step. */
  lastEvent?: CapabilityEvent;
  lastSeq: number;
  error?: string;
  /** Runs from a passed QA decision straight to ingestion (a retry of a failed ingestion). */
  resumesIngestion: boolean;
  /** The state it was last told to stop in (QaFail or cancel); told again only once it has moved on. */
  toldToStopIn?: State;
  /** A reviewer's decision on its way to the execution: a second one is refused meanwhile. */
  pendingDecision?: 'pass' | 'fail';
  /** Its workflow has closed (it may outlive its final state while callbacks are retried). */
  closed: boolean;
}

export interface VersionState {
  version: number;
  parameters: Record<string, unknown>;
  createdBy: string;
  executions: ExecutionState[];
  /** Who passed it in QA, kept so that a retried ingestion runs under the same decision. */
  passedBy?: { reviewer: string; comment?: string };
}

/** What the request must tell an execution so that a sealed (or cancelled) request stops. */
export interface StopOrder {
  version: number;
  execution: ExecutionState;
  how: 'qa-fail' | 'cancel';
  reason: string;
}

const isActive = (e: ExecutionState) => !isFinalState(e.state);
const latest = (v: VersionState) => v.executions[v.executions.length - 1]!;

/**
 * A request's versions and their executions, and the rules between them: only one version can
 * win (pass QA, or complete when there is no QA); winning seals the request and stops the others;
 * when every version has failed the request is Failed, and still open to a new version or a retry
 * until it closes. Pure and deterministic: the request workflow drives it, unit tests too.
 */
export class VersionBook {
  readonly versions: VersionState[] = [];
  /** The version that passed QA, or completed (capabilities without QA). */
  winner: { version: number; how: 'passed QA' | 'completed' } | undefined;
  cancelled: { actor: string; reason: string } | undefined;
  closed = false;

  constructor(
    private readonly requestId: string,
    private readonly policy: { singleVersionOnly: boolean },
  ) {}

  get sealed(): boolean {
    return this.winner !== undefined || this.cancelled !== undefined || this.closed;
  }


  get hasActiveExecutions(): boolean {
    return this.versions.some((v) => v.executions.some(isActive));
  }

  /** The version the request is about: the winner, else the newest still running, else the newest. */
  get current(): VersionState {
    if (this.winner) return this.version(this.winner.version)!;
    return [...this.versions].reverse().find((v) => isActive(latest(v))) ?? this.versions[this.versions.length - 1]!;
  }

  /** The request's state, derived from its versions. */
  get state(): State {
    const current = latest(this.current);
    if (this.winner || isActive(current)) return current.state;
    if (this.cancelled || this.versions.every((v) => latest(v).state === 'Cancelled')) return 'Cancelled';
    return 'Failed';
  }

  /** Some execution's workflow is still open (running, or finishing its callbacks). */
  get hasOpenExecutions(): boolean {
    return this.versions.some((v) => v.executions.some((e) => !e.closed));
  }

  /** Nothing runs and nothing more can: the request workflow may close. A Failed request stays open for retries. */
  get isOver(): boolean {
    return !this.hasOpenExecutions && (this.closed || this.state !== 'Failed');
  }

  version(n: number): VersionState | undefined {
    return this.versions[n - 1];
  }

  // Commands ------------------------------------------------------------------------------------

  refuseNewVersion(): Refusal | undefined {
    if (this.policy.singleVersionOnly) return { type: RejectionType.SingleVersionOnly, message: 'this capability runs a single version per request' };
    return this.refuseIfSealed();
  }

  addVersion(parameters: Record<string, unknown>, createdBy: string): VersionState {
    const version: VersionState = { version: this.versions.length + 1, parameters, createdBy, executions: [] };
    this.versions.push(version);
    return version;
  }

  startExecution(version: VersionState, options: { resumesIngestion?: boolean } = {}): ExecutionState {
    const n = version.executions.length + 1;
    const execution: ExecutionState = {
      execution: n,
      workflowId: executionWorkflowId(this.requestId, version.version, n),
      state: 'Start',
      lastSeq: 0,
      resumesIngestion: options.resumesIngestion ?? false,
      closed: false,
    };
    version.executions.push(execution);
    return execution;
  }

  /** The version a QA decision is about: the one named, or the only one awaiting QA. */
  qaTarget(named: number | undefined): Refusal | VersionState {
    if (this.cancelled) return { type: RejectionType.RequestCancelled, message: 'the request is cancelled' };
    if (this.winner?.how === 'completed') return { type: RejectionType.NotAwaitingQa, message: `the request is not awaiting QA (it is ${this.state}): version ${this.winner.version} completed` };
    if (this.winner) return { type: RejectionType.QaAlreadyDecided, message: `version ${this.winner.version} already passed QA; the request is sealed (it is ${this.state})` };
    const passing = this.versions.find((v) => latest(v).pendingDecision === 'pass');
    if (passing) return { type: RejectionType.QaAlreadyDecided, message: `version ${passing.version} is being passed` };
    if (named !== undefined) {
      const version = this.version(named);
      if (!version) return { type: RejectionType.UnknownVersion, message: `the request has no version ${named}` };
      const execution = latest(version);
      if (execution.lastEvent === 'qa-pass' || execution.lastEvent === 'qa-fail' || execution.pendingDecision || execution.toldToStopIn === 'AwaitingQa') {
        return { type: RejectionType.QaAlreadyDecided, message: `QA has already been decided for version ${named}` };
      }
      if (execution.state !== 'AwaitingQa') return { type: RejectionType.NotAwaitingQa, message: `version ${named} is not awaiting QA (it is ${execution.state})` };
      return version;
    }
    const awaiting = this.versions.filter((v) => latest(v).state === 'AwaitingQa' && !latest(v).pendingDecision && latest(v).toldToStopIn !== 'AwaitingQa');
    if (awaiting.length === 1) return awaiting[0]!;
    if (awaiting.length > 1) return { type: RejectionType.VersionRequired, message: `versions ${awaiting.map((v) => v.version).join(', ')} await QA: name one with "version"` };
    const decided = this.versions.some((v) => v.executions.some((e) => e.lastEvent === 'qa-pass' || e.lastEvent === 'qa-fail'));
    return decided
      ? { type: RejectionType.QaAlreadyDecided, message: 'QA has already been decided for this request' }
      : { type: RejectionType.NotAwaitingQa, message: `the request is not awaiting QA (it is ${this.state})` };
  }

  /** The version an operator retry re-runs: the one named, or the current one; its last execution must have failed in a step. */
  retryTarget(named: number | undefined): Refusal | { version: VersionState; resumeIngestion?: { reviewer: string; comment?: string } } {
    if (this.cancelled) return { type: RejectionType.RequestCancelled, message: 'the request is cancelled' };
    if (this.closed) return { type: RejectionType.RequestSealed, message: 'the request has closed: its retry window has passed' };
    const version = named === undefined ? this.current : this.version(named);
    if (!version) return { type: RejectionType.UnknownVersion, message: `the request has no version ${named}` };
    const execution = latest(version);
    if (execution.state !== 'Failed') return { type: RejectionType.NotRetryable, message: `version ${version.version} has not failed (it is ${execution.state})` };
    if (execution.lastEvent === 'qa-fail') {
      return { type: RejectionType.NotRetryable, message: `version ${version.version} failed QA; submit a new version instead of retrying it` };
    }
    if (this.winner && this.winner.version !== version.version) return this.refuseIfSealed()!;
    // A version that passed QA and then failed to ingest re-runs its ingestion, not its execution.
    return version.passedBy ? { version, resumeIngestion: version.passedBy } : { version };
  }

  cancel(actor: string, reason: string): void {
    this.cancelled = { actor, reason };
  }

  refuseCancel(): Refusal | undefined {
    if (this.cancelled) return { type: RejectionType.RequestCancelled, message: 'the request is already cancelled' };
    const stuck = this.versions.map((v) => ({ v, e: latest(v) })).find(({ e }) => e.state === 'Ingesting');
    if (stuck) return { type: RejectionType.NotCancellable, message: `version ${stuck.v.version} is Ingesting and cannot be cancelled` };
    if (!this.hasActiveExecutions) return { type: RejectionType.RequestFinished, message: `the request has already ended (${this.state})` };
    return undefined;
  }

  // What executions report ------------------------------------------------------------------------

  /** Applies an execution's transition; a report older than what is known changes nothing. */
  apply(report: ExecutionReport): boolean {
    const execution = this.version(report.version)?.executions[report.execution - 1];
    if (!execution || report.transition.seq <= execution.lastSeq) return false;
    Object.assign(execution, { state: report.transition.to, lastEvent: report.transition.event, lastSeq: report.transition.seq });
    delete execution.pendingDecision;
    if (report.transition.error) execution.error = report.transition.error;
    if (report.transition.event === 'qa-pass') {
      const comment = report.transition.details.comment;
      this.version(report.version)!.passedBy = { reviewer: report.transition.actor, ...(typeof comment === 'string' ? { comment } : {}) };
    }
    if (!this.winner && !this.cancelled) {
      if (report.transition.event === 'qa-pass') this.winner = { version: report.version, how: 'passed QA' };
      else if (report.transition.to === 'Complete') this.winner = { version: report.version, how: 'completed' };
    }
    return true;
  }

  /** The execution's workflow has closed: whatever it last reported, it runs no more. */
  ended(version: number, executionNumber: number, outcome: { state?: State; error?: string }): boolean {
    const execution = this.version(version)?.executions[executionNumber - 1];
    if (!execution) return false;
    execution.closed = true;
    if (!isActive(execution)) return false;
    execution.state = outcome.state && isFinalState(outcome.state) ? outcome.state : 'Failed';
    execution.error = outcome.error ?? execution.error ?? 'the execution ended without reporting its end';
    return true;
  }

  /** Executions a sealed or cancelled request must stop, each told once per state it is in. */
  stopOrders(): StopOrder[] {
    if (!this.sealed) return [];
    const orders: StopOrder[] = [];
    for (const version of this.versions) {
      if (version.version === this.winner?.version) continue;
      const execution = latest(version);
      if (!isActive(execution) || execution.toldToStopIn === execution.state || execution.state === 'Start' || execution.state === 'Ingesting') continue;
      const reason = this.cancelled ? this.cancelled.reason : `version ${this.winner!.version} ${this.winner!.how}`;
      orders.push({ version: version.version, execution, how: execution.state === 'AwaitingQa' && !this.cancelled ? 'qa-fail' : 'cancel', reason });
    }
    return orders;
  }

  overview(): RequestOverview {
    return {
      state: this.state,
      sealed: this.sealed,
      currentVersion: this.current.version,
      versions: this.versions.map((v) => ({
        version: v.version,
        state: latest(v).state,
        executions: v.executions.map((e) => ({ execution: e.execution, workflowId: e.workflowId, state: e.state, ...(e.error ? { error: e.error } : {}) })),
      })),
    };
  }

  private refuseIfSealed(): Refusal | undefined {
    if (this.cancelled) return { type: RejectionType.RequestCancelled, message: 'the request is cancelled' };
    if (this.winner) return { type: RejectionType.RequestSealed, message: `the request is sealed: version ${this.winner.version} ${this.winner.how}` };
    if (this.closed) return { type: RejectionType.RequestSealed, message: 'the request has closed: its retry window has passed' };
    return undefined;
  }
}
