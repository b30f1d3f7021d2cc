import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { awaitingQaList, capabilityList, qaDecisionResult, requestView } from '../../api/schemas';
import { resolveTemporalCli } from '../../scripts/temporal-binaries';
import { builtInCapabilities } from '../../workflows/capabilities';
import { recordHistoryIfAsked } from '../support/record-history';
import { requireTestEnv } from '../support/test-env';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const submit = async (capability: string) => {
  const res = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability, parameters: {} });
  expect(res.status).toBe(202);
  return res.body as { id: string; workflowId: string };
};

const read = async (id: string) => requestView.parse((await request(stack.app).get(`/v1/requests/${id}`).set(stack.bearer('reviewer'))).body);

const waitFor = (id: string, state: string) => eventually(async () => ((await read(id)).state === state ? read(id) : undefined));

const decide = (id: string, body: object, role: 'reviewer' | 'submitter' | 'operator' = 'reviewer') =>
  request(stack.app).post(`/v1/requests/${id}/qa`).set(stack.bearer(role)).send(body);

const cli = async (...args: string[]) =>
  (await promisify(execFile)(await resolveTemporalCli(), [...args, '--address', requireTestEnv('temporalAddress')], { maxBuffer: 64 * 1024 * 1024 })).stdout;

describe('null_qa through the API', () => {
  it('reaches AwaitingQa, is listed for reviewers, is passed, ingests and completes with a full audit trail', async () => {
    const { id, workflowId } = await submit('null_qa');
    await waitFor(id, 'AwaitingQa');

    const list = awaitingQaList.parse((await request(stack.app).get('/v1/qa?capability=null_qa&limit=200').set(stack.bearer('reviewer'))).body);
    expect(list.items.map((i) => i.id)).toContain(id);
    const times = list.items.map((i) => i.announcedAt);
    expect([...times].sort()).toEqual(times);
    const other = awaitingQaList.parse((await request(stack.app).get('/v1/qa?capability=null').set(stack.bearer('reviewer'))).body);
    expect(other.items.map((i) => i.id)).not.toContain(id);

    const res = await decide(id, { decision: 'pass', comment: 'products look right' });
    expect(res.status).toBe(200);
    expect(qaDecisionResult.parse(res.body)).toMatchObject({ id, decision: 'pass' });

    const done = await waitFor(id, 'Complete');
    expect(done.transitions.map((t) => `${t.from} -${t.event}-> ${t.to}`)).toEqual([
      'Start -capability-submitted-> Queued',
      'Queued -resume-> Executing',
      'Executing -workflow-complete-> AwaitingQa',
      'AwaitingQa -qa-pass-> Ingesting',
      'Ingesting -workflow-complete-> Complete',
    ]);
    const passed = done.transitions[3]!;
    expect(passed).toMatchObject({ actor: stack.principalId('reviewer'), actions: ['QaPass', 'Ingest'], details: { decision: 'pass', comment: 'products look right' } });
    expect(done.transitions[0]!.actor).toBe(stack.principalId('submitter'));
    expect(done.qa).toEqual([
      expect.objectContaining({ version: 1, decision: 'pass', reviewer: stack.principalId('reviewer'), comment: 'products look right', decidedAt: expect.any(String) }),
    ]);
    const listedAfter = awaitingQaList.parse((await request(stack.app).get('/v1/qa?capability=null_qa&limit=200').set(stack.bearer('reviewer'))).body);
    expect(listedAfter.items.map((i) => i.id)).not.toContain(id);

    const again = await decide(id, { decision: 'fail' });
    expect(again.status).toBe(409);
    expect(again.headers['content-type']).toMatch(/problem\+json/);
    await recordHistoryIfAsked(workflowId, 'null-qa-pass');
  });

  it('is passed by an operator with `temporal workflow signal`', async () => {
    const { id, workflowId } = await submit('null_qa');
    await waitFor(id, 'AwaitingQa');
    await cli('workflow', 'signal', '--workflow-id', workflowId, '--name', 'qaDecision', '--input', JSON.stringify({ decision: 'pass', reviewer: 'ops-cli', comment: 'via CLI' }));
    const done = await waitFor(id, 'Complete');
    expect(done.transitions[3]).toMatchObject({ event: 'qa-pass', actor: 'ops-cli', details: { comment: 'via CLI' } });
    expect(done.qa[0]).toMatchObject({ decision: 'pass', reviewer: 'ops-cli' });
  });

  it('a fail ends the request Failed with the reviewer and comment recorded', async () => {
    const { id, workflowId } = await submit('null_qa');
    await waitFor(id, 'AwaitingQa');
    expect((await decide(id, { decision: 'fail', comment: 'calibration off' })).body).toMatchObject({ decision: 'fail', state: 'Failed' });
    const done = await read(id);
    expect(done.state).toBe('Failed');
    expect(done.transitions.at(-1)).toMatchObject({ event: 'qa-fail', actions: ['QaFail'], details: { comment: 'calibration off' } });
    await recordHistoryIfAsked(workflowId, 'null-qa-fail');
  });

  it('refuses decisions that do not apply: 409 not awaiting QA, 403 wrong role, 422 bad body, 404 unknown request', async () => {
    const { id } = await submit('null');
    await waitFor(id, 'Complete');
    const notAwaiting = await decide(id, { decision: 'pass' });
    expect(notAwaiting.status).toBe(409);
    expect(notAwaiting.body.detail).toMatch(/Complete/);

    const { id: waiting } = await submit('null_qa');
    await waitFor(waiting, 'AwaitingQa');
    expect((await decide(waiting, { decision: 'pass' }, 'submitter')).status).toBe(403);
    const bad = await decide(waiting, { decision: 'maybe' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('decision');
    expect((await decide('00000000-0000-4000-8000-000000000000', { decision: 'pass' })).status).toBe(404);
    expect((await read(waiting)).state).toBe('AwaitingQa');
  });
});

describe('cancel', () => {
  it('only the owner or an operator may cancel; the request ends Cancelled with who and why; then 409', async () => {
    const { id } = await submit('null_qa');
    await waitFor(id, 'AwaitingQa');
    const cancel = (headers: Record<string, string>, reason = 'not needed any more') => request(stack.app).post(`/v1/requests/${id}/cancel`).set(headers).send({ reason });

    expect((await cancel(stack.otherSubmitter)).status).toBe(403);
    expect((await cancel(stack.bearer('reviewer'))).status).toBe(403);
    const bad = await request(stack.app).post(`/v1/requests/${id}/cancel`).set(stack.bearer('submitter')).send({});
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('reason');

    const ok = await cancel(stack.bearer('submitter'));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ id, state: 'Cancelled' });
    const after = await read(id);
    expect(after.transitions.at(-1)).toMatchObject({ from: 'AwaitingQa', event: 'cancel', to: 'Cancelled', actor: stack.principalId('submitter'), details: { reason: 'not needed any more' } });

    expect((await cancel(stack.bearer('operator'))).status).toBe(409);
    expect((await decide(id, { decision: 'pass' })).status).toBe(409);
  });

  it('an operator may cancel anyone’s request', async () => {
    const { id } = await submit('null_qa');
    await waitFor(id, 'AwaitingQa');
    const res = await request(stack.app).post(`/v1/requests/${id}/cancel`).set(stack.bearer('operator')).send({ reason: 'maintenance' });
    expect(res.body.state).toBe('Cancelled');
  });
});

describe('capabilities', () => {
  it('lists the built-ins with their definition, legend and Mermaid diagram', async () => {
    const res = await request(stack.app).get('/v1/capabilities').set(stack.bearer('integration'));
    const { items } = capabilityList.parse(res.body);
    expect(items.map((c) => [c.name, c.template])).toEqual(Object.values(builtInCapabilities).map((d) => [d.name, d.template]));
    const qa = items[1]!;
    expect(qa.legend).toContain('[Executing] - <workflow-complete> {AnnounceQa} -> [AwaitingQa]');
    expect(qa.mermaid).toMatch(/^stateDiagram-v2/);
    expect(qa.definition.transitions.length).toBeGreaterThan(5);
  });

  it('reads one by name, 404 for an unknown one', async () => {
    const one = await request(stack.app).get('/v1/capabilities/null_qa').set(stack.bearer('reviewer'));
    expect(one.status).toBe(200);
    expect(one.body.definition.qa).toMatchObject({ ingestStep: 'null', deadlines: { onDeadline: 'fail' } });
    expect((await request(stack.app).get('/v1/capabilities/teleport').set(stack.bearer('reviewer'))).status).toBe(404);
  });
});

describe('listing filters', () => {
  it('filters by submitter and submission time', async () => {
    const before = new Date(Date.now() - 1000).toISOString();
    const { id } = await submit('null');
    const mine = await request(stack.app).get(`/v1/requests?submittedBy=${stack.principalId('submitter')}&submittedAfter=${before}&limit=200`).set(stack.bearer('operator'));
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((r: { id: string }) => r.id)).toContain(id);
    expect(mine.body.items.every((r: { submittedBy: string }) => r.submittedBy === stack.principalId('submitter'))).toBe(true);
    const earlier = await request(stack.app).get(`/v1/requests?submittedBy=${stack.principalId('submitter')}&submittedBefore=${before}`).set(stack.bearer('operator'));
    expect(earlier.body.items.map((r: { id: string }) => r.id)).not.toContain(id);
    expect((await request(stack.app).get('/v1/requests?submittedAfter=yesterday').set(stack.bearer('operator'))).status).toBe(422);
  });
});

describe('when no worker is running', () => {
  jest.setTimeout(90_000);
  it('a QA decision answers 503 with Retry-After instead of hanging, and goes through once a worker is back', async () => {
    const { id } = await submit('null_qa');
    await waitFor(id, 'AwaitingQa');
    await stack.stopWorker();
    try {
      const res = await decide(id, { decision: 'pass' });
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
      expect(res.body.detail).toMatch(/may still be applied/);
    } finally {
      await stack.startWorker();
    }
    // A client honours Retry-After: the new worker takes over once the old one's sticky queue
    // times out. Temporal may also deliver the first attempt after all; either way it ends passed.
    const retry = await eventually(async () => {
      const res = await decide(id, { decision: 'pass' });
      return res.status === 503 ? undefined : res;
    }, 45_000);
    expect([200, 409]).toContain(retry.status);
    const done = await waitFor(id, 'Complete');
    expect(done.transitions.filter((t) => t.event === 'qa-pass')).toHaveLength(1);
  });
});
