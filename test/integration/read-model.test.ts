import { randomUUID } from 'node:crypto';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { listRequestEvents, listVersions, recordRequestEvent, recordRequestState } from '../../db/request-versions';
import { findRequest, insertRequest, listTransitions, recordTransition } from '../../db/requests';
import { requireTestEnv } from '../support/test-env';

const db = createPool(requireTestEnv('databaseUrl'));
afterAll(async () => {
  await db.end();
});

const transition = (seq: number, from: string, to: string) => ({
  seq,
  from,
  event: 'resume',
  to,
  actions: ['ExecuteWorkflow'],
  actor: 'capflow',
  details: {},
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
});

async function newRequest(): Promise<string> {
  const id = randomUUID();
  await insertRequest(db, { id, ...workflowIds(id), capability: 'null', parameters: {}, submittedBy: 'submitter:x', submittedAt: new Date() });
  return id;
}

const workflowIds = (id: string) => ({ workflowId: `request-${id}`, firstExecutionWorkflowId: `request-${id}/v1/e1` });
const firstExecution = (requestId: string) => ({ requestId, version: 1, execution: 1 });

describe('the read model', () => {
  it('creates a request once however often it is registered', async () => {
    const id = await newRequest();
    await insertRequest(db, { id, ...workflowIds(id), capability: 'null', parameters: { changed: true }, submittedBy: 'someone-else', submittedAt: new Date(0) });
    const row = await findRequest(db, id);
    expect(row).toMatchObject({ state: 'Start', sealed: false, currentVersion: 1, parameters: {}, submittedBy: 'submitter:x' });
    const { versions, executions } = await listVersions(db, id);
    expect(versions).toEqual([expect.objectContaining({ version: 1, parameters: {}, state: 'Start', currentExecution: 1 })]);
    expect(executions).toEqual([expect.objectContaining({ version: 1, execution: 1, workflowId: `request-${id}/v1/e1` })]);
  });

  it('records a retried transition once (an activity retried after a crash) and moves its execution and version', async () => {
    const id = await newRequest();
    await recordTransition(db, firstExecution(id), transition(1, 'Start', 'Queued'));
    await recordTransition(db, firstExecution(id), transition(1, 'Start', 'Queued'));
    expect(await listTransitions(db, id)).toHaveLength(1);
    const { versions, executions } = await listVersions(db, id);
    expect([versions[0]!.state, executions[0]!.state]).toEqual(['Queued', 'Queued']);
    // The request's own state is its workflow's to set (it follows all versions).
    expect((await findRequest(db, id))!.state).toBe('Start');
  });

  it('keeps what a retried workflow task recorded: the same transition again, later, or even another one in its place', async () => {
    const id = await newRequest();
    await recordTransition(db, firstExecution(id), transition(1, 'Start', 'Queued'));
    await recordTransition(db, firstExecution(id), { ...transition(2, 'Queued', 'Executing'), occurredAt: '2026-01-01T00:00:00.000Z' });
    // The task is retried: seq 2 again, a moment later (history keeps this one).
    await recordTransition(db, firstExecution(id), { ...transition(2, 'Queued', 'Executing'), occurredAt: '2026-01-01T00:00:00.120Z' });
    expect((await listTransitions(db, id)).map((t) => [t.seq, t.to, new Date(t.occurredAt).toISOString()])).toEqual([
      [1, 'Queued', expect.any(String)],
      [2, 'Executing', '2026-01-01T00:00:00.120Z'],
    ]);
    // Retried with a cancel that arrived meanwhile: seq 2 became another transition.
    await recordTransition(db, firstExecution(id), { ...transition(2, 'Queued', 'Cancelled'), event: 'cancel', actions: [] });
    expect((await listTransitions(db, id)).map((t) => [t.seq, t.event, t.to])).toEqual([
      [1, 'resume', 'Queued'],
      [2, 'cancel', 'Cancelled'],
    ]);
    const { versions, executions } = await listVersions(db, id);
    expect([versions[0]!.state, executions[0]!.state]).toEqual(['Cancelled', 'Cancelled']);
  });

  it('never moves an execution backwards when transitions arrive out of order', async () => {
    const id = await newRequest();
    await recordTransition(db, firstExecution(id), transition(2, 'Queued', 'Executing'));
    await recordTransition(db, firstExecution(id), transition(1, 'Start', 'Queued'));
    expect((await listVersions(db, id)).executions[0]!.state).toBe('Executing');
    expect((await listTransitions(db, id)).map((t) => t.seq)).toEqual([1, 2]);
  });

  it('a request from before versions moves its own row with each transition', async () => {
    const id = await newRequest();
    await recordTransition(db, { ...firstExecution(id), updatesRequest: true }, transition(1, 'Start', 'Queued'));
    expect((await findRequest(db, id))!.state).toBe('Queued');
  });

  it('records a request event once with the version and execution it creates; snapshots never go backwards', async () => {
    const id = await newRequest();
    const event = {
      seq: 3,
      type: 'version-added' as const,
      version: 2,
      execution: 1,
      actor: 'submitter:x',
      details: {},
      occurredAt: new Date().toISOString(),
      newVersion: { parameters: { durationMs: 5 } },
      newExecution: { workflowId: `request-${id}/v2/e1` },
    };
    await recordRequestEvent(db, id, event, { state: 'Queued', sealed: false, currentVersion: 2 });
    await recordRequestEvent(db, id, { ...event, version: 3 }, { state: 'Start', sealed: false, currentVersion: 3 });
    await recordRequestState(db, id, 2, { state: 'Failed', sealed: true, currentVersion: 1 });
    expect(await findRequest(db, id)).toMatchObject({ state: 'Queued', sealed: false, currentVersion: 2 });
    expect((await listRequestEvents(db, id)).map((e) => [e.seq, e.type, e.version])).toEqual([[3, 'version-added', 2]]);
    const { versions, executions } = await listVersions(db, id);
    expect(versions.map((v) => [v.version, v.parameters])).toEqual([
      [1, {}],
      [2, { durationMs: 5 }],
    ]);
    expect(executions.map((e) => e.workflowId)).toEqual([`request-${id}/v1/e1`, `request-${id}/v2/e1`]);
    await recordRequestState(db, id, 4, { state: 'Complete', sealed: true, currentVersion: 2 });
    expect(await findRequest(db, id)).toMatchObject({ state: 'Complete', sealed: true, currentVersion: 2 });
  });

  it('migrations are recorded and applying them again (even concurrently) does nothing', async () => {
    const results = await Promise.all([migrate(db), migrate(db)]);
    expect(results.map((r) => r.applied)).toEqual([[], []]);
    const { rows } = await db.query('SELECT id, name FROM schema_migrations ORDER BY id');
    expect(rows[0]).toEqual({ id: 1, name: '001_requests.sql' });
  });
});
