import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

const submit = (key: string, body: object = { capability: 'null', parameters: {} }, role: 'submitter' | 'operator' = 'submitter') =>
  request(stack.app).post('/v1/requests').set(stack.bearer(role)).set('Idempotency-Key', key).send(body);

async function workflowsFor(requestId: string): Promise<number> {
  return eventually(async () => {
    // The request's own workflow (its executions carry the RequestId too).
    const { count } = await stack.temporal.workflow.count(`RequestId = '${requestId}' AND WorkflowType = 'capabilityRequest'`);
    return count > 0 ? count : undefined;
  });
}

describe('Idempotency-Key on POST /v1/requests', () => {
  it('same key and same body give the same answer and one request', async () => {
    const key = randomUUID();
    const first = await submit(key);
    const second = await submit(key);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers.location).toBe(first.headers.location);
    expect(await workflowsFor(first.body.id)).toBe(1);
    const rows = await stack.db.query('SELECT count(*)::int AS n FROM requests WHERE id = $1', [first.body.id]);
    expect(rows.rows[0].n).toBe(1);
  });

  it('same key with a different body is 422 and starts nothing new', async () => {
    const key = randomUUID();
    const first = await submit(key);
    const mine = () => stack.db.query('SELECT count(*)::int AS n FROM requests WHERE submitted_by = $1', [stack.principalId('submitter')]);
    const before = (await mine()).rows[0].n;
    const second = await submit(key, { capability: 'null', parameters: {}, extra: true });
    // The body is checked before the key: an invalid body is 422 for its own reason.
    expect(second.status).toBe(422);
    const third = await submit(key, { capability: 'nope', parameters: {} });
    expect(third.status).toBe(422);
    expect(third.body.errors[0].field).toBe('Idempotency-Key');
    expect((await mine()).rows[0].n).toBe(before);
    expect(first.status).toBe(202);
  });

  it('keys belong to their holder: another key may use the same value for its own request', async () => {
    const key = randomUUID();
    const mine = await submit(key, undefined, 'submitter');
    const theirs = await submit(key, undefined, 'operator');
    expect(mine.status).toBe(202);
    expect(theirs.status).toBe(202);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('many concurrent submissions with one key start exactly one workflow', async () => {
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 8 }, () => submit(key)));
    const accepted = answers.filter((a) => a.status === 202);
    // Losers of the race either replay the stored answer or are told to retry (409 in progress).
    expect(answers.every((a) => a.status === 202 || a.status === 409)).toBe(true);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((a) => a.body.id)).size).toBe(1);
    const retried = await eventually(async () => {
      const again = await submit(key);
      return again.status === 202 ? again : undefined;
    });
    expect(retried.body.id).toBe(accepted[0]!.body.id);
    expect(await workflowsFor(retried.body.id)).toBe(1);
  });
});
