import request from 'supertest';
import type { Role } from '../../config/env';
import { createTestStack, type TestStack } from '../support/test-stack';

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(async () => {
  await stack?.close();
});

/** This file's rows in every table a submission could write to. */
async function writtenRows(): Promise<number[]> {
  const principals = (['submitter', 'reviewer', 'operator', 'integration'] as const).map((role) => stack.principalId(role));
  const queries = [
    'SELECT count(*)::int AS n FROM requests WHERE submitted_by = ANY($1)',
    'SELECT count(*)::int AS n FROM request_transitions t JOIN requests r ON r.id = t.request_id WHERE r.submitted_by = ANY($1)',
    'SELECT count(*)::int AS n FROM idempotency_keys WHERE principal = ANY($1)',
  ];
  return Promise.all(queries.map(async (sql) => (await stack.db.query(sql, [principals])).rows[0].n as number));
}

async function workflowsOnOurQueue(): Promise<number> {
  // Visibility is eventually consistent; a short pause lets a wrongly started workflow show up.
  await new Promise((r) => setTimeout(r, 300));
  const { count } = await stack.temporal.workflow.count(`TaskQueue = '${stack.taskQueue}'`);
  return count;
}

const post = (body: string | object, headers: Record<string, string> = stack.bearer('submitter')) => {
  const req = request(stack.app).post('/v1/requests').set(headers);
  return typeof body === 'string' ? req.set('Content-Type', 'application/json').send(body) : req.send(body);
};

describe('bad submissions are refused with problem+json and change nothing', () => {
  const cases: { name: string; send: () => request.Test; status: number; field?: string }[] = [
    { name: 'malformed JSON', send: () => post('{"capability":'), status: 400, field: 'body' },
    { name: 'unknown capability', send: () => post({ capability: 'teleport', parameters: {} }), status: 404, field: 'capability' },
    { name: 'unknown top-level field', send: () => post({ capability: 'null', parameters: {}, colour: 'red' }), status: 422, field: 'colour' },
    { name: 'unknown parameter', send: () => post({ capability: 'null', parameters: { speed: 3 } }), status: 422, field: 'parameters.speed' },
    { name: 'capability of the wrong type', send: () => post({ capability: 42 }), status: 422, field: 'capability' },
    { name: 'parameters of the wrong type', send: () => post({ capability: 'null', parameters: 'fast' }), status: 422, field: 'parameters' },
    { name: 'missing capability', send: () => post({ parameters: {} }), status: 422, field: 'capability' },
    { name: 'a JSON array body', send: () => post('[]'), status: 422, field: 'body' },
    {
      name: 'a body that is not JSON',
      send: () => request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).set('Content-Type', 'text/plain').send('capability=null'),
      status: 415,
      field: 'Content-Type',
    },
    { name: 'no API key', send: () => post({ capability: 'null' }, {}), status: 401 },
    { name: 'an unknown API key', send: () => post({ capability: 'null' }, { Authorization: 'Bearer not-a-real-key-at-all' }), status: 401 },
    { name: 'a key whose role may not submit', send: () => post({ capability: 'null' }, stack.bearer('reviewer')), status: 403 },
    { name: 'an integration key', send: () => post({ capability: 'null' }, stack.bearer('integration')), status: 403 },
    { name: 'a bad Idempotency-Key', send: () => post({ capability: 'null' }, { ...stack.bearer('submitter'), 'Idempotency-Key': 'has spaces in it' }), status: 422, field: 'Idempotency-Key' },
  ];

  it.each(cases)('$name → $status', async ({ send, status, field }) => {
    const before = await writtenRows();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String), instance: '/v1/requests' });
    if (field) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await writtenRows()).toEqual(before);
  });

  it('started no workflow for any of them', async () => {
    expect(await workflowsOnOurQueue()).toBe(0);
  });
});

describe('reads check keys, roles and ids', () => {
  it.each<[Role | undefined, number]>([
    [undefined, 401],
    ['integration', 403],
    ['reviewer', 200],
    ['operator', 200],
    ['submitter', 200],
  ])('GET /v1/requests as %s → %d', async (role, status) => {
    const res = await request(stack.app).get('/v1/requests').set(role ? stack.bearer(role) : {});
    expect(res.status).toBe(status);
  });

  it('answers 404 for a request that does not exist and 422 for an id that cannot be one', async () => {
    const missing = await request(stack.app).get('/v1/requests/00000000-0000-4000-8000-000000000000').set(stack.bearer('reviewer'));
    expect(missing.status).toBe(404);
    const malformed = await request(stack.app).get('/v1/requests/nope').set(stack.bearer('reviewer'));
    expect(malformed.status).toBe(422);
    expect(malformed.body.errors[0].field).toBe('path.id');
  });

  it('rejects unknown filters, bad limits and forged cursors', async () => {
    for (const query of ['colour=red', 'limit=0', 'limit=abc', 'state=Sleeping', 'cursor=forged']) {
      const res = await request(stack.app).get(`/v1/requests?${query}`).set(stack.bearer('reviewer'));
      expect({ query, status: res.status }).toEqual({ query, status: 422 });
    }
  });

  it('answers unknown endpoints with a problem', async () => {
    const res = await request(stack.app).get('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
