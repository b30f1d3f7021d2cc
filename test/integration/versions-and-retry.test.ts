import request from 'supertest';
import { awaitingQaList, requestView, startedExecution } from '../../api/schemas';
import { requestOverviewQuery } from '../../workflows/messages';
import { recordHistoryIfAsked } from '../support/record-history';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const read = async (id: string) => requestView.parse((await request(stack.app).get(`/v1/requests/${id}`).set(stack.bearer('reviewer'))).body);
const until = (id: string, check: (r: Awaited<ReturnType<typeof read>>) => boolean) =>
  eventually(async () => {
    const r = await read(id);
    return check(r) ? r : undefined;
  });
const versionState = (r: Awaited<ReturnType<typeof read>>, version: number) => r.versions.find((v) => v.version === version)?.state;

const submit = async (capability: string, parameters: Record<string, unknown> = {}) => {
  const res = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability, parameters });
  expect(res.status).toBe(202);
  return res.body as { id: string; workflowId: string };
};
const addVersion = (id: string, parameters: Record<string, unknown>, role: 'submitter' | 'operator' | 'reviewer' = 'submitter') =>
  request(stack.app).post(`/v1/requests/${id}/versions`).set(stack.bearer(role)).send({ parameters });
const decide = (id: string, body: object) => request(stack.app).post(`/v1/requests/${id}/qa`).set(stack.bearer('reviewer')).send(body);
const retry = (id: string, body: object, role: 'operator' | 'submitter' = 'operator') => request(stack.app).post(`/v1/requests/${id}/retry`).set(stack.bearer(role)).send(body);

describe('versions of a null_qa request', () => {
  it('three versions run; passing one fails the other two, completes and seals the request', async () => {
    const { id, workflowId } = await submit('null_qa');
    await until(id, (r) => r.state === 'AwaitingQa');

    const v2 = await addVersion(id, {});
    expect(v2.status).toBe(201);
    expect(startedExecution.parse(v2.body)).toEqual({ id, version: 2, execution: 1, workflowId: `${workflowId}/v2/e1`, links: { request: `/v1/requests/${id}` } });
    expect((await addVersion(id, {}, 'operator')).status).toBe(201);
    await until(id, (r) => [1, 2, 3].every((v) => versionState(r, v) === 'AwaitingQa'));
    // The request hears from each execution a moment after the read model does.
    const request_ = stack.temporal.workflow.getHandle(workflowId);
    await eventually(async () => ((await request_.query(requestOverviewQuery)).versions.every((v) => v.state === 'AwaitingQa') ? true : undefined));

    // The reviewers' list names each version; with three waiting, a decision must say which.
    const list = awaitingQaList.parse((await request(stack.app).get('/v1/qa?capability=null_qa&limit=200').set(stack.bearer('reviewer'))).body);
    expect(list.items.filter((i) => i.id === id).map((i) => i.version)).toEqual([1, 2, 3]);
    const unnamed = await decide(id, { decision: 'pass' });
    expect(unnamed.status).toBe(422);
    expect(unnamed.body.errors).toEqual([{ field: 'version', message: expect.stringMatching(/versions 1, 2, 3 await QA/) }]);
    expect((await decide(id, { version: 7, decision: 'pass' })).status).toBe(404);

    const passed = await decide(id, { version: 2, decision: 'pass', comment: 'this one' });
    expect(passed.status).toBe(200);
    expect(passed.body).toEqual({ id, version: 2, decision: 'pass', state: 'Ingesting' });

    const done = await until(id, (r) => r.state === 'Complete' && r.versions.every((v) => v.state !== 'AwaitingQa'));
    expect(done).toMatchObject({ sealed: true, currentVersion: 2 });
    expect(done.versions.map((v) => [v.version, v.state, v.current])).toEqual([
      [1, 'Failed', false],
      [2, 'Complete', true],
      [3, 'Failed', false],
    ]);
    expect(done.versions[0]!.executions).toEqual([expect.objectContaining({ execution: 1, workflowId: `${workflowId}/v1/e1`, state: 'Failed', current: true })]);
    expect(done.qa.map((q) => [q.version, q.decision, q.reviewer])).toEqual([
      [1, 'fail', 'capflow'],
      [2, 'pass', stack.principalId('reviewer')],
      [3, 'fail', 'capflow'],
    ]);
    expect(done.transitions.filter((t) => t.version === 3).at(-1)).toMatchObject({ event: 'qa-fail', actor: 'capflow', details: { comment: 'version 2 passed QA' } });
    expect(done.events.map((e) => [e.type, e.version, e.actor])).toEqual([
      ['version-added', 1, stack.principalId('submitter')],
      ['version-added', 2, stack.principalId('submitter')],
      ['version-added', 3, stack.principalId('operator')],
      ['sealed', null, 'capflow'],
    ]);

    // Sealed: no more versions. The lineage is visible to Temporal too.
    const refused = await addVersion(id, {});
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/sealed/);
    const overview = await request_.query(requestOverviewQuery);
    expect(overview.versions.map((v) => v.executions[0]!.workflowId)).toEqual([1, 2, 3].map((v) => `${workflowId}/v${v}/e1`));
    const described = await stack.temporal.workflow.getHandle(`${workflowId}/v2/e1`).describe();
    expect(described.raw.workflowExecutionInfo?.parentExecution?.workflowId).toBe(workflowId);
    await recordHistoryIfAsked(workflowId, 'null-qa-three-versions');
  });

  it('when every version fails the request is Failed, and a new version can still be added', async () => {
    const { id } = await submit('null_qa');
    await until(id, (r) => r.state === 'AwaitingQa');
    expect((await decide(id, { decision: 'fail', comment: 'blurred' })).body).toMatchObject({ version: 1, state: 'Failed' });
    const failed = await until(id, (r) => r.state === 'Failed');
    expect(failed.sealed).toBe(false);

    expect((await addVersion(id, {})).status).toBe(201);
    await until(id, (r) => r.state === 'AwaitingQa' && r.currentVersion === 2);
    await decide(id, { decision: 'fail' });
    const allFailed = await until(id, (r) => r.state === 'Failed' && versionState(r, 2) === 'Failed');
    expect(allFailed.versions.map((v) => v.state)).toEqual(['Failed', 'Failed']);
    // A QA failure is a verdict, not an outage: it is not retried.
    expect((await retry(id, {})).status).toBe(409);
    await stack.temporal.workflow.getHandle(allFailed.workflowId).terminate('test done');
  });
});

describe('bad input changes nothing', () => {
  it('refuses bad parameters (422), strangers (403), unknown requests (404) and one-version capabilities (409)', async () => {
    const { id } = await submit('null', { durationMs: 60_000 });
    const bad = await addVersion(id, { durationMs: -1 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('parameters.durationMs');
    expect((await request(stack.app).post(`/v1/requests/${id}/versions`).set(stack.otherSubmitter).send({ parameters: {} })).status).toBe(403);
    expect((await addVersion(id, {}, 'reviewer')).status).toBe(403);
    expect((await addVersion('00000000-0000-4000-8000-000000000000', {})).status).toBe(404);
    expect((await retry(id, {}, 'submitter')).status).toBe(403);
    const notFailed = await retry(id, {});
    expect(notFailed.status).toBe(409);
    expect(notFailed.body.detail).toMatch(/has not failed/);
    expect((await read(id)).versions).toHaveLength(1);
    await request(stack.app).post(`/v1/requests/${id}/cancel`).set(stack.bearer('submitter')).send({ reason: 'done' }).expect(200);
    expect((await addVersion(id, {})).status).toBe(409);
  });
});

describe('operator retry', () => {
  it('re-runs a failed execution as a new execution of the same version, with the operator in the audit trail', async () => {
    const failUntil = new Date(Date.now() + 1_500).toISOString();
    const { id, workflowId } = await submit('null', { failUntil });
    const failed = await until(id, (r) => r.state === 'Failed');
    expect(failed.versions[0]!.executions[0]!.error).toMatch(/asked to fail until/);

    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(failUntil) - Date.now() + 100)));
    const retried = await retry(id, { reason: 'the outage is over' });
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ version: 1, execution: 2, workflowId: `${workflowId}/v1/e2` });

    const done = await until(id, (r) => r.state === 'Complete');
    expect(done.versions[0]!.executions.map((e) => [e.execution, e.state, e.current, e.startedBy])).toEqual([
      [1, 'Failed', false, stack.principalId('submitter')],
      [2, 'Complete', true, stack.principalId('operator')],
    ]);
    expect(done.events).toContainEqual(expect.objectContaining({ type: 'retry-requested', version: 1, actor: stack.principalId('operator'), details: { reason: 'the outage is over' } }));
    expect(done.transitions.filter((t) => t.execution === 2)[0]).toMatchObject({ event: 'capability-submitted', actor: stack.principalId('operator') });
    expect((await retry(id, {})).status).toBe(409); // complete and sealed
  });
});
