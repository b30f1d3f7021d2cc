import type { CapabilityEvent, State } from '../../workflows/capability-model';
import { VersionBook, type VersionState } from '../../workflows/version-book';

/** The rules between a request's versions, without Temporal. */
let seq = 0;
const move = (book: VersionBook, version: number, to: State, event: CapabilityEvent, actor = 'capflow', execution = 1) =>
  book.apply({ version, execution, transition: { seq: ++seq, from: 'Start', event, to, actions: [], actor, details: {}, occurredAt: new Date(0).toISOString() } });

function bookWith(versions: number, options: { singleVersionOnly?: boolean } = {}) {
  const book = new VersionBook('r1', { singleVersionOnly: options.singleVersionOnly ?? false });
  for (let v = 1; v <= versions; v++) book.startExecution(book.addVersion({ v }, 'submitter:s'));
  return book;
}

const refusalType = (result: object | undefined) => (result && 'type' in result ? result.type : undefined);

describe('VersionBook', () => {
  it('names executions by lineage and follows the newest running version', () => {
    const book = bookWith(2);
    expect(book.versions.map((v) => v.executions[0]!.workflowId)).toEqual(['request-r1/v1/e1', 'request-r1/v2/e1']);
    move(book, 1, 'Executing', 'resume');
    move(book, 2, 'Queued', 'capability-submitted');
    expect([book.current.version, book.state]).toEqual([2, 'Queued']);
    move(book, 2, 'Failed', 'workflow-failed');
    expect([book.current.version, book.state]).toEqual([1, 'Executing']);
  });

  it('the first version to pass QA wins, seals the request and has the others stopped once each', () => {
    const book = bookWith(3);
    move(book, 1, 'AwaitingQa', 'workflow-complete');
    move(book, 2, 'AwaitingQa', 'workflow-complete');
    move(book, 3, 'Executing', 'resume');
    expect(refusalType(book.qaTarget(undefined))).toBe('VersionRequired');
    expect((book.qaTarget(2) as VersionState).version).toBe(2);

    move(book, 2, 'Ingesting', 'qa-pass', 'reviewer:r');
    expect(book.winner).toEqual({ version: 2, how: 'passed QA' });
    expect(book.sealed).toBe(true);
    const orders = book.stopOrders();
    expect(orders.map((o) => [o.version, o.how, o.reason])).toEqual([
      [1, 'qa-fail', 'version 2 passed QA'],
      [3, 'cancel', 'version 2 passed QA'],
    ]);
    for (const o of orders) o.execution.toldToStopIn = o.execution.state;
    expect(book.stopOrders()).toEqual([]); // told once per state
    expect(refusalType(book.refuseNewVersion())).toBe('RequestSealed');
    expect(refusalType(book.qaTarget(1))).toBe('QaAlreadyDecided');
    expect(book.state).toBe('Ingesting');
  });

  it('a pending decision refuses a second one on the same version, and a pass in flight refuses passes on others', () => {
    const book = bookWith(2);
    move(book, 1, 'AwaitingQa', 'workflow-complete');
    move(book, 2, 'AwaitingQa', 'workflow-complete');
    book.version(1)!.executions[0]!.pendingDecision = 'pass';
    expect(refusalType(book.qaTarget(1))).toBe('QaAlreadyDecided');
    expect(refusalType(book.qaTarget(2))).toBe('QaAlreadyDecided');
  });

  it('every version failed: Failed, not sealed, open for new versions; a QA failure is not retryable, a failed step is', () => {
    const book = bookWith(2);
    move(book, 1, 'Failed', 'qa-fail', 'reviewer:r');
    move(book, 2, 'Failed', 'workflow-failed');
    expect([book.state, book.sealed, book.hasActiveExecutions]).toEqual(['Failed', false, false]);
    expect(book.refuseNewVersion()).toBeUndefined();
    expect(refusalType(book.retryTarget(1))).toBe('NotRetryable');
    expect(book.retryTarget(2)).toEqual({ version: book.version(2) });
    expect(refusalType(book.retryTarget(3))).toBe('UnknownVersion');
  });

  it('a version that passed QA and failed to ingest retries its ingestion under the same decision', () => {
    const book = bookWith(1);
    move(book, 1, 'AwaitingQa', 'workflow-complete');
    book.apply({
      version: 1,
      execution: 1,
      transition: { seq: ++seq, from: 'AwaitingQa', event: 'qa-pass', to: 'Ingesting', actions: [], actor: 'reviewer:r', details: { comment: 'ok' }, occurredAt: '' },
    });
    move(book, 1, 'Failed', 'workflow-failed');
    expect(book.retryTarget(undefined)).toEqual({ version: book.version(1), resumeIngestion: { reviewer: 'reviewer:r', comment: 'ok' } });
  });

  it('a capability with one version only refuses new versions from the start', () => {
    expect(refusalType(bookWith(1, { singleVersionOnly: true }).refuseNewVersion())).toBe('SingleVersionOnly');
  });

  it('ignores stale reports, and an execution that closed without reporting its end has failed', () => {
    const book = bookWith(1);
    move(book, 1, 'Executing', 'resume');
    expect(book.apply({ version: 1, execution: 1, transition: { seq: 1, from: 'Start', event: 'capability-submitted', to: 'Queued', actions: [], actor: 'x', details: {}, occurredAt: '' } })).toBe(false);
    expect(book.state).toBe('Executing');
    book.ended(1, 1, { error: 'terminated' });
    expect([book.state, book.versions[0]!.executions[0]!.error, book.isOver]).toEqual(['Failed', 'terminated', false]);
    book.closed = true;
    expect(book.isOver).toBe(true);
  });

  it('cancel: refused while a version ingests; after it, every running execution is told to cancel', () => {
    const book = bookWith(2);
    move(book, 1, 'Ingesting', 'qa-pass');
    expect(refusalType(book.refuseCancel())).toBe('NotCancellable');
    const other = bookWith(2);
    move(other, 1, 'Executing', 'resume');
    move(other, 2, 'AwaitingQa', 'workflow-complete');
    other.cancel('operator:o', 'wrong data');
    expect(other.stopOrders().map((o) => [o.version, o.how, o.reason])).toEqual([
      [1, 'cancel', 'wrong data'],
      [2, 'cancel', 'wrong data'],
    ]);
  });
});
