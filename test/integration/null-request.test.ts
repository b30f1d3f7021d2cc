import request from 'supertest';
import { requestView, submittedRequest } from '../../api/schemas';
import { requestOverviewQuery, requestStateQuery } from '../../workflows/messages';
import { recordHistoryIfAsked } from '../support/record-history';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

async function submitNull(headers: Record<string, string> = {}) {
  return request(stack.app)
    .post('/v1/requests')
    .set(stack.bearer('submitter'))
    .set(headers)
    .send({ capability: 'null', parameters: {} });
}

async function waitForState(id: string, state: string) {
  return eventually(async () => {
    const res = await request(stack.app).get(`/v1/requests/${id}`).set(stack.bearer('reviewer'));
    return res.status === 200 && res.body.state === state ? res.body : undefined;
  });
}

describe('the null capability end to end', () => {
  it('is accepted with 202 and a Location, and runs to Complete with its transition history', async () => {
    const res = await submitNull();
    expect(res.status).toBe(202);
    const body = submittedRequest.parse(res.body);
    expect(res.headers.location).toBe(`/v1/requests/${body.id}`);
    expect(body.workflowId).toBe(`request-${body.id}`);

    const done = requestView.parse(await waitForState(body.id, 'Complete'));
    expect(done.capability).toBe('null');
    expect(done.transitions.map((t) => `${t.from} -${t.event}-> ${t.to}`)).toEqual([
      'Start -capability-submitted-> Queued',
      'Queued -resume-> Executing',
      'Executing -workflow-complete-> Complete',
    ]);
    expect(done.transitions[1]!.actions).toEqual(['ExecuteWorkflow']);

    // What the Web UI shows for it: ids and names only.
    const description = await stack.temporal.workflow.getHandle(body.workflowId).describe();
    expect(await description.staticSummary()).toBe(`null request ${body.id}`);
    expect(await description.staticDetails()).toMatch(/Capability \*\*null\*\* \(run\)/);
    await recordHistoryIfAsked(body.workflowId, 'null-complete');
  });

  it('sets search attributes that filter on the business state', async () => {
    const { body } = await submitNull();
    await waitForState(body.id, 'Complete');
    const found = await eventually(async () => {
      const matches = [];
      for await (const wf of stack.temporal.workflow.list({ query: `CapabilityState = 'Complete' AND RequestId = '${body.id}'` })) matches.push(wf);
      return matches.length === 1 ? matches : undefined;
    });
    expect(found[0]!.workflowId).toBe(body.workflowId);
    const attributes = found[0]!.typedSearchAttributes;
    expect(attributes.getAll().map((p) => [p.key.name, p.value]).sort()).toEqual(
      expect.arrayContaining([
        ['CapabilityName', 'null'],
        ['CapabilityState', 'Complete'],
        ['RequestId', body.id],
      ]),
    );
    const running = [];
    for await (const wf of stack.temporal.workflow.list({ query: `CapabilityState = 'Queued' AND RequestId = '${body.id}'` })) running.push(wf);
    expect(running).toHaveLength(0);
  });

  it('answers the live state by workflow query, matching the read model', async () => {
    const { body } = await submitNull();
    const readModel = requestView.parse(await waitForState(body.id, 'Complete'));
    const handle = stack.temporal.workflow.getHandle(body.workflowId);
    expect(await handle.result()).toEqual({ state: 'Complete' });
    const overview = await handle.query(requestOverviewQuery);
    expect(overview).toMatchObject({ state: 'Complete', sealed: true, currentVersion: 1 });
    expect(overview.versions).toEqual([{ version: 1, state: 'Complete', executions: [{ execution: 1, workflowId: `${body.workflowId}/v1/e1`, state: 'Complete' }] }]);
    // The execution (a child workflow) answers its own transitions.
    const live = await stack.temporal.workflow.getHandle(`${body.workflowId}/v1/e1`).query(requestStateQuery);
    expect(live.transitions.map((t) => [t.seq, t.to, t.occurredAt])).toEqual(readModel.transitions.map((t) => [t.seq, t.to, t.occurredAt]));
  });

  it('lists requests newest first with filters and a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await submitNull()).body.id);
    await Promise.all(ids.map((id) => waitForState(id, 'Complete')));

    // Other test files submit at the same time, so walk the pages instead of assuming ours come first.
    const seen: { id: string; submittedAt: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(stack.app)
        .get(`/v1/requests?capability=null&state=Complete&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        .set(stack.bearer('operator'));
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor && !ids.every((id) => seen.some((r) => r.id === id)));

    expect(new Set(seen.map((r) => r.id)).size).toBe(seen.length);
    const times = seen.map((r) => r.submittedAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(seen.map((r) => r.id).filter((id) => ids.includes(id))).toEqual([ids[2], ids[1], ids[0]]);

    const none = await request(stack.app).get('/v1/requests?capability=null&state=Failed').set(stack.bearer('operator'));
    expect(none.body.items.filter((r: { id: string }) => ids.includes(r.id))).toEqual([]);
  });

  it('keeps accepted work while no worker runs and finishes it when one starts', async () => {
    await stack.stopWorker();
    try {
      const { body, status } = await submitNull();
      expect(status).toBe(202);
      await new Promise((r) => setTimeout(r, 1_000));
      const waiting = await request(stack.app).get(`/v1/requests/${body.id}`).set(stack.bearer('reviewer'));
      expect(waiting.body.state).toBe('Start');
      await stack.startWorker();
      await waitForState(body.id, 'Complete');
    } finally {
      await stack.startWorker();
    }
  });
});
