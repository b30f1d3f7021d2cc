import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { mintServiceCredential } from '../../activities/registration';
import { createCountryConfiguration, type CountryConfiguration } from '../../simulators/country-configuration';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

const jwtSecret = 'test-country-configuration-secret-0123456789';
let country: CountryConfiguration;
let countryServer: Server;
let apiServer: Server;
let stack: TestStack;
let slowStack: TestStack;
let countryUrl: string;

let slow: CountryConfiguration | undefined;

beforeAll(async () => {
  // The simulator's address must be known before the worker starts, and the API's before the
  // simulator calls back: a front server delegates to the simulator created in between.
  const front = express();
  front.use('/slow', (req, res, next) => (slow ? slow.app(req, res, next) : next()));
  front.use((req, res, next) => country.app(req, res, next));
  countryServer = front.listen(0, '127.0.0.1');
  await new Promise((r) => countryServer.once('listening', r));
  countryUrl = `http://127.0.0.1:${(countryServer.address() as AddressInfo).port}`;
  stack = await createTestStack({ registration: { countryConfigurationUrl: countryUrl, jwtSecret, callTimeoutMs: 2_000 } });
  // The API listens for real: the simulator calls it back over HTTP.
  apiServer = stack.app.listen(0, '127.0.0.1');
  await new Promise((r) => apiServer.once('listening', r));
  const apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
  country = createCountryConfiguration({ jwtSecret, capflowUrl: () => apiUrl, integrationKey: stack.bearer('integration').Authorization.slice('Bearer '.length), callbackDelayMs: 300 });
});
afterAll(async () => {
  await stack?.close();
  await slowStack?.close();
  apiServer?.close();
  countryServer?.close();
});

const registration = (childSurname: string, transactionId = `tx-${randomUUID()}`) => ({
  transactionId,
  registration: { childFirstName: 'Amara', childSurname, dateOfBirth: '2026-10-01', placeOfBirth: 'Lilongwe', informantId: 'INF-7' },
});
const submit = (s: TestStack, parameters: object) => request(s.app).post('/v1/requests').set(s.bearer('submitter')).send({ capability: 'registration', parameters });
const read = async (s: TestStack, id: string) => (await request(s.app).get(`/v1/requests/${id}`).set(s.bearer('operator'))).body;
const ended = (s: TestStack, id: string) =>
  eventually(async () => {
    const r = await read(s, id);
    return ['Complete', 'Failed', 'Cancelled'].includes(r.state) ? r : undefined;
  }, 30_000);
const callback = (transactionId: string, kind: 'confirm' | 'reject', body: object, headers: Record<string, string> = stack.bearer('integration')) =>
  request(stack.app).post(`/v1/registrations/${transactionId}/${kind}`).set(headers).send(body);

describe('registration outcomes', () => {
  it.each([
    ['Banda', 'Complete', 'confirmed'],
    ['Reject', 'Failed', 'rejected'],
    ['Later', 'Complete', 'confirmed'],
    ['LaterReject', 'Failed', 'rejected'],
  ])('%s ends %s with the registration %s, stored and shown', async (surname, state, outcome) => {
    const res = await submit(stack, registration(surname));
    expect(res.status).toBe(202);
    const done = await ended(stack, res.body.id);
    expect(done.state).toBe(state);
    expect(done.registration).toMatchObject({ state: outcome, decidedBy: expect.any(String) });
    if (outcome === 'confirmed') {
      expect(done.registration.registrationNumber).toMatch(/^REG-/);
      expect(done.transitions.at(-1).details.registrationNumber).toBe(done.registration.registrationNumber);
    } else {
      expect(done.registration.reason).toMatch(/already registered|could not be verified/);
      expect(done.transitions.at(-1).error).toContain(done.registration.reason);
    }
    if (surname === 'Later') expect(done.registration.identifiers).toEqual([{ type: 'NID', value: expect.stringMatching(/^NID-REG-/) }]);
  });

  it('a 5xx is retried with backoff until the country configuration answers; one registration', async () => {
    const params = registration('Unstable');
    const res = await submit(stack, params);
    const done = await ended(stack, res.body.id);
    expect(done.state).toBe('Complete');
    expect(country.registrations.get(params.transactionId)!.calls).toBe(1);
  });
});

describe('idempotency', () => {
  it('the same transaction submitted twice, in sequence or at once, is one request and one registration', async () => {
    const params = registration('Banda');
    const [a, b] = await Promise.all([submit(stack, params), submit(stack, params)]);
    const c = await submit(stack, params);
    expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(1);
    await ended(stack, a.body.id);
    expect(country.registrations.get(params.transactionId)!.calls).toBe(1);
  });

  it('a reply lost after the country configuration accepted (a timeout, a crash) does not register twice', async () => {
    // The first answer comes after capflow has stopped waiting; the retried call finds the same registration.
    slowStack = await createTestStack({ registration: { countryConfigurationUrl: `${countryUrl}/slow`, jwtSecret, callTimeoutMs: 500 } });
    slow = createCountryConfiguration({ jwtSecret, firstAnswerDelayMs: 1_500 });
    const params = registration('Banda');
    const res = await submit(slowStack, params);
    const done = await ended(slowStack, res.body.id);
    expect(done.state).toBe('Complete');
    expect(slow!.registrations.size).toBe(1);
    expect(slow!.registrations.get(params.transactionId)!.calls).toBeGreaterThanOrEqual(2);
    expect(done.registration.registrationNumber).toBe(slow!.registrations.get(params.transactionId)!.body.registrationNumber);
  });
});

describe('callbacks', () => {
  const waiting = async (surname = 'Silent') => {
    const params = registration(surname);
    const res = await submit(stack, params);
    await eventually(async () => ((await read(stack, res.body.id)).registration?.state === 'waiting' ? true : undefined));
    return { id: res.body.id as string, transactionId: params.transactionId };
  };

  it('confirm twice answers the same; reject after confirm is 409; the outcome never changes', async () => {
    const { id, transactionId } = await waiting();
    const confirm = { registrationNumber: 'REG-X1', identifiers: [{ type: 'NID', value: 'N-1' }], comment: 'ok' };
    const first = await callback(transactionId, 'confirm', confirm);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ state: 'confirmed', registrationNumber: 'REG-X1' });
    expect((await callback(transactionId, 'confirm', confirm)).body).toEqual(first.body);
    expect((await callback(transactionId, 'confirm', { ...confirm, registrationNumber: 'REG-OTHER' })).status).toBe(409);
    expect((await callback(transactionId, 'reject', { reason: 'no' })).status).toBe(409);
    const done = await ended(stack, id);
    expect(done).toMatchObject({ state: 'Complete', registration: { registrationNumber: 'REG-X1', identifiers: [{ type: 'NID', value: 'N-1' }] } });
    expect(done.transitions.filter((t: { event: string }) => t.event === 'workflow-complete' || t.event === 'workflow-failed')).toHaveLength(1);
  });

  it('duplicate and conflicting callbacks from the country configuration change nothing settled', async () => {
    for (const surname of ['LaterTwice', 'LaterConflict']) {
      const params = registration(surname);
      const res = await submit(stack, params);
      const done = await ended(stack, res.body.id);
      expect(done.state).toBe('Complete');
      await eventually(async () => (country.callbacksSent.filter((c) => c.transactionId === params.transactionId).length === 2 ? true : undefined));
      const sent = country.callbacksSent.filter((c) => c.transactionId === params.transactionId).map((c) => c.status);
      expect(sent).toEqual(surname === 'LaterTwice' ? [200, 200] : [200, 409]);
      expect((await read(stack, res.body.id)).registration.state).toBe('confirmed');
    }
  });

  it('a callback that arrives before the request waits is kept and used', async () => {
    const params = registration('Silent');
    // The submission's read-model write creates the registration; the callback lands at once.
    const res = await submit(stack, params);
    const early = await eventually(async () => {
      const r = await callback(params.transactionId, 'reject', { reason: 'duplicate birth record', comment: 'early' });
      return r.status === 200 ? r : undefined;
    });
    expect(early.body.state).toBe('rejected');
    const done = await ended(stack, res.body.id);
    expect(done.state).toBe('Failed');
    expect(done.registration.reason).toBe('duplicate birth record');
  });

  it('refuses callbacks without the integration credential (401/403), unknown transactions (404) and bad bodies (422)', async () => {
    const { transactionId } = await waiting();
    expect((await callback(transactionId, 'confirm', { registrationNumber: 'R' }, {})).status).toBe(401);
    expect((await callback(transactionId, 'confirm', { registrationNumber: 'R' }, stack.bearer('submitter'))).status).toBe(403);
    expect((await callback(`tx-${randomUUID()}`, 'confirm', { registrationNumber: 'R' })).status).toBe(404);
    const bad = await callback(transactionId, 'reject', { comment: 'no reason' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('reason');
    expect((await request(stack.app).get(`/v1/registrations/${transactionId}`).set(stack.bearer('operator'))).body.state).toBe('waiting');
  });

  it('the country configuration refuses a missing, forged or mis-addressed credential', async () => {
    const send = (token?: string) =>
      fetch(`${countryUrl}/registrations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(registration('Banda')),
      });
    expect((await send()).status).toBe(401);
    expect((await send(mintServiceCredential('a-different-secret-0123456789abcdef', 'submitter:x'))).status).toBe(401);
    expect((await send(mintServiceCredential(jwtSecret, 'submitter:x'))).status).toBe(200);
  });
});
