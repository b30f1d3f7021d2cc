import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { capabilityView } from '../../api/schemas';
import { run } from '../../workflows/templates';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

/**
 * Queues against the real PostgreSQL and Temporal. Each test uses a capability of its own (same
 * run template and `null` step), so its settings never disturb other test files.
 */
jest.setTimeout(90_000);
const probes = Array.from({ length: 5 }, () => run({ name: `probe_${randomUUID().slice(0, 8)}`, description: 'queue probe', step: 'null', maxConcurrent: 2 }));
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({ capabilities: probes });
});
afterAll(async () => {
  await stack?.close();
});

const submit = async (capability: string, durationMs = 0) => {
  const res = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability, parameters: { durationMs } });
  expect(res.status).toBe(202);
  return res.body.id as string;
};
const stateOf = async (id: string) => (await request(stack.app).get(`/v1/requests/${id}`).set(stack.bearer('reviewer'))).body.state as string;
const waitFor = (id: string, state: string, ms = 60_000) => eventually(async () => ((await stateOf(id)) === state ? true : undefined), ms);
const patch = (name: string, body: object, role: 'operator' | 'reviewer' = 'operator') =>
  request(stack.app).patch(`/v1/capabilities/${name}`).set(stack.bearer(role)).send(body);
const describeCapability = async (name: string) => capabilityView.parse((await request(stack.app).get(`/v1/capabilities/${name}`).set(stack.bearer('operator'))).body);

it('never runs more than maxConcurrent at once, grants first in first out, and leaks no slot', async () => {
  const name = probes[0]!.name;
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push(await submit(name, 1_200)); // one after another: a known order

  let maxRunning = 0;
  const sampling = setInterval(() => {
    void stack.db
      .query(`SELECT count(*)::int AS n FROM capability_slots WHERE capability = $1 AND granted_at IS NOT NULL AND released_at IS NULL`, [name])
      .then((r) => (maxRunning = Math.max(maxRunning, r.rows[0].n)));
  }, 50);
  try {
    await Promise.all(ids.map((id) => waitFor(id, 'Complete')));
  } finally {
    clearInterval(sampling);
  }
  expect(maxRunning).toBe(2);
  // First in (submitted), first granted.
  const { rows } = await stack.db.query(`SELECT request_id FROM capability_slots WHERE capability = $1 ORDER BY granted_at, queued_since`, [name]);
  expect(rows.map((r) => r.request_id)).toEqual(ids);
  expect((await describeCapability(name)).queue).toEqual({ running: 0, waiting: 0 });
});

it('many concurrent submissions: no slot double-granted, all finish', async () => {
  const name = probes[1]!.name;
  const ids = await Promise.all(Array.from({ length: 10 }, () => submit(name, 300)));
  await Promise.all(ids.map((id) => waitFor(id, 'Complete')));
  const { rows } = await stack.db.query<{ granted: Date; released: Date }>(
    `SELECT granted_at AS granted, released_at AS released FROM capability_slots WHERE capability = $1`,
    [name],
  );
  expect(rows).toHaveLength(10);
  // At the moment each slot was granted, how many were held (itself included)?
  const heldAt = (t: Date) => rows.filter((r) => r.granted <= t && t < r.released).length;
  expect(Math.max(...rows.map((r) => heldAt(r.granted)))).toBe(2);
  expect((await describeCapability(name)).queue).toEqual({ running: 0, waiting: 0 });
});

it('pausing keeps new work Queued while running work finishes; un-pausing lets it in', async () => {
  const name = probes[2]!.name;
  const running = await submit(name, 1_500);
  await waitFor(running, 'Executing');
  const paused = await patch(name, { paused: true });
  expect(paused.status).toBe(200);
  expect(paused.body.settings).toMatchObject({ paused: true, updatedBy: stack.principalId('operator') });

  const waiting = await submit(name);
  await waitFor(running, 'Complete');
  expect(await stateOf(waiting)).toBe('Queued');
  expect((await describeCapability(name)).queue).toEqual({ running: 0, waiting: 1 });

  await patch(name, { paused: false }).expect(200);
  await waitFor(waiting, 'Complete');
});

it('disabling refuses new requests with 409 and starts nothing', async () => {
  const name = probes[3]!.name;
  await patch(name, { enabled: false }).expect(200);
  const refused = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability: name });
  expect(refused.status).toBe(409);
  expect(refused.body.errors[0]).toEqual({ field: 'capability', message: 'disabled' });
  expect((await stack.db.query(`SELECT count(*)::int AS n FROM requests WHERE capability = $1`, [name])).rows[0].n).toBe(0);
  await patch(name, { enabled: true }).expect(200);
  await waitFor(await submit(name), 'Complete');
});

it('a cancel while Queued leaves the queue; a terminated holder’s slot is reclaimed', async () => {
  const name = probes[4]!.name;
  await patch(name, { maxConcurrent: 1 }).expect(200);
  const holder = await submit(name, 60_000);
  await waitFor(holder, 'Executing');
  const queued = await submit(name);
  await waitFor(queued, 'Queued');
  await request(stack.app).post(`/v1/requests/${queued}/cancel`).set(stack.bearer('submitter')).send({ reason: 'changed my mind' }).expect(200);
  expect((await describeCapability(name)).queue).toEqual({ running: 1, waiting: 0 });

  // An operator terminates the holder in Temporal: it never gives its slot back itself.
  await stack.temporal.workflow.getHandle(`request-${holder}`).terminate('stuck');
  const next = await submit(name);
  await waitFor(next, 'Complete');
});

it('validates settings changes', async () => {
  const name = probes[0]!.name;
  expect((await patch(name, {})).status).toBe(422);
  expect((await patch(name, { maxConcurrent: 0 })).body.errors[0].field).toBe('maxConcurrent');
  expect((await patch(name, { colour: 'red' })).status).toBe(422);
  expect((await patch(name, { paused: true }, 'reviewer')).status).toBe(403);
  expect((await patch('teleport', { paused: true })).status).toBe(404);
  expect((await describeCapability(name)).settings.paused).toBe(false);
});
