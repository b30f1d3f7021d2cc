import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import request from 'supertest';
import { purgeExpiredPersonalData } from '../../db/personal-data';
import { resolveTemporalCli } from '../../scripts/temporal-binaries';
import { createProofingVendor, type ProofingVendor } from '../../simulators/proofing-vendor';
import { requireTestEnv } from '../support/test-env';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

let vendor: ProofingVendor;
let vendorServer: Server;
let stack: TestStack;
let staleStack: TestStack;

beforeAll(async () => {
  vendor = createProofingVendor({ slowMs: 2_000 });
  vendorServer = vendor.app.listen(0, '127.0.0.1');
  await new Promise((r) => vendorServer.once('listening', r));
  const vendorUrl = `http://127.0.0.1:${(vendorServer.address() as AddressInfo).port}`;
  stack = await createTestStack({
    proofing: { vendorUrl, callTimeoutMs: 500, deadlineMs: 3_000 },
    app: { proofing: { maxAttempts: 3, attemptWindowMs: 3_600_000 } },
  });
  // A worker that finds every job stale: it must discard, never call the vendor.
  staleStack = await createTestStack({ proofing: { vendorUrl, staleAfterMs: 1 } });
});
afterAll(async () => {
  await stack?.close();
  await staleStack?.close();
  vendorServer?.close();
});

let ssnCounter = Math.floor(Math.random() * 9000);
/** A fresh, valid SSN per identity, so tests never share an attempt count. */
const nextSsn = () => {
  ssnCounter += 1;
  return `${String(100 + Math.floor(Math.random() * 500)).padStart(3, '0')}-${String(10 + (ssnCounter % 89)).padStart(2, '0')}-${String(1000 + (ssnCounter % 8999)).padStart(4, '0')}`;
};
const identity = (lastName: string, ssn = nextSsn()) => ({
  firstName: 'Quinella',
  lastName,
  dob: '1984-03-07',
  ssn,
  address: { street1: '1742 Evergreen Terrace', city: 'Arlington', state: 'VA', zip: '22201' },
});

const submit = (s: TestStack, parameters: object) => request(s.app).post('/v1/requests').set(s.bearer('submitter')).send({ capability: 'identity_proofing', parameters });
const status = (s: TestStack, id: string) => request(s.app).get(`/v1/requests/${id}/proofing`).set(s.bearer('submitter'));
const settled = (s: TestStack, id: string) =>
  eventually(async () => {
    const res = await status(s, id);
    return ['done', 'missing'].includes(res.body.status) ? res.body : undefined;
  }, 30_000);

describe('identity_proofing against the vendor simulator', () => {
  it('a passing identity ends done with the vendor result', async () => {
    const res = await submit(stack, identity('Okafor'));
    expect(res.status).toBe(202);
    const body = await settled(stack, res.body.id);
    expect(body).toMatchObject({ status: 'done', result: { success: true, timed_out: false, vendor_name: 'ResolutionSim', stages: { resolution: { success: true } } } });
  });

  it('a failing identity is a result (done, success false, with reasons), not an error', async () => {
    const { body } = await submit(stack, identity('Fail'));
    const done = await settled(stack, body.id);
    expect(done).toMatchObject({ status: 'done', result: { success: false, reason_codes: { 'R-SSN-MISMATCH': expect.any(String) } } });
  });

  it('a stage that times out at the vendor is reported as timed_out', async () => {
    const { body } = await submit(stack, identity('Timeout'));
    expect(await settled(stack, body.id)).toMatchObject({ status: 'done', result: { success: false, timed_out: true, stages: { residential_address: { timed_out: true } } } });
  });

  it('a 5xx is retried: one failure then a pass ends done', async () => {
    const id = identity('Flaky');
    const { body } = await submit(stack, id);
    expect(await settled(stack, body.id)).toMatchObject({ status: 'done', result: { success: true } });
    expect(vendor.callsFor(id.ssn)).toBe(2);
  });

  it('a vendor that keeps failing or never answers in time: retried until the deadline, then missing', async () => {
    for (const lastName of ['Unavailable', 'Slow']) {
      const id = identity(lastName);
      const { body } = await submit(stack, id);
      const done = await settled(stack, body.id);
      expect(done).toMatchObject({ status: 'missing', reason: expect.stringMatching(/vendor/) });
      expect(vendor.callsFor(id.ssn)).toBeGreaterThan(1);
      const request_ = (await request(stack.app).get(`/v1/requests/${body.id}`).set(stack.bearer('operator'))).body;
      expect(request_.state).toBe('Failed');
      expect(request_.versions[0].executions[0].error).toMatch(/did not answer within 3 s/);
    }
  });

  it('a job that could not start within the staleness bound is discarded, not run late', async () => {
    const id = identity('Okafor');
    const { body } = await submit(staleStack, id);
    expect(await settled(staleStack, body.id)).toMatchObject({ status: 'missing' });
    expect(vendor.callsFor(id.ssn)).toBe(0);
  });
});

describe('bad input and limits', () => {
  it('names each invalid field without echoing the value, and starts nothing', async () => {
    const bad = { ...identity('Okafor', '000-12-3456'), dob: '2999-01-01', address: { street1: '', city: 'X', state: 'Virginia', zip: '2220' } };
    const res = await submit(stack, bad);
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      ['parameters.address.state', 'parameters.address.street1', 'parameters.address.zip', 'parameters.dob', 'parameters.ssn'].sort(),
    );
    expect(JSON.stringify(res.body)).not.toMatch(/000-12-3456|Virginia|2999/);
  });

  it('allows N attempts per person per window; the next answers 429 with Retry-After', async () => {
    const ssn = nextSsn();
    for (let i = 0; i < 3; i++) expect((await submit(stack, identity('Okafor', ssn))).status).toBe(202);
    const refused = await submit(stack, identity('okafor ', ssn.replace(/-/g, ''))); // the same person, written differently
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(3_000);
    expect((await submit(stack, identity('Okafor'))).status).toBe(202); // someone else is not limited
  });

  it('only the submitter or an operator reads the status; other requests have none', async () => {
    const { body } = await submit(stack, identity('Okafor'));
    expect((await request(stack.app).get(`/v1/requests/${body.id}/proofing`).set(stack.otherSubmitter)).status).toBe(403);
    expect((await request(stack.app).get(`/v1/requests/${body.id}/proofing`).set(stack.bearer('operator'))).status).toBe(200);
    const other = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability: 'null', parameters: {} });
    expect((await status(stack, other.body.id)).status).toBe(404);
  });
});

describe('personal data', () => {
  const cli = async (...args: string[]) =>
    (await promisify(execFile)(await resolveTemporalCli(), [...args, '--address', requireTestEnv('temporalAddress')], { maxBuffer: 64 * 1024 * 1024 })).stdout;

  it('never appears in clear text in Temporal history or PostgreSQL; the API never shows it; the codec endpoint decrypts for operators', async () => {
    const id = identity('Zyskowski');
    const { body } = await submit(stack, id);
    await settled(stack, body.id);
    const secrets = [id.ssn, id.ssn.replace(/-/g, ''), 'Zyskowski', 'Quinella', 'Evergreen', '1984-03-07'];

    // Raw history of the request and its execution, as the server stores it (no codec).
    const histories = (await cli('workflow', 'show', '--workflow-id', body.workflowId, '--output', 'json')) + (await cli('workflow', 'show', '--workflow-id', `${body.workflowId}/v1/e1`, '--output', 'json'));
    for (const secret of secrets) {
      expect(histories).not.toContain(secret);
      expect(histories).not.toContain(Buffer.from(secret).toString('base64').slice(0, 12));
    }
    expect(histories).toContain(Buffer.from('binary/encrypted').toString('base64'));

    // Every row of every table that mentions the request.
    const { rows } = await stack.db.query<{ t: string }>(
      `SELECT row_to_json(x)::text AS t FROM (
         SELECT * FROM requests WHERE id = $1) x
       UNION ALL SELECT row_to_json(v)::text FROM request_versions v WHERE request_id = $1
       UNION ALL SELECT row_to_json(e)::text FROM request_executions e WHERE request_id = $1
       UNION ALL SELECT row_to_json(t)::text FROM request_transitions t WHERE request_id = $1
       UNION ALL SELECT row_to_json(r)::text FROM request_events r WHERE request_id = $1
       UNION ALL SELECT row_to_json(n)::text FROM notifications n WHERE request_id = $1
       UNION ALL SELECT row_to_json(p)::text FROM proofing_results p WHERE request_id = $1
       UNION ALL SELECT row_to_json(a)::text FROM proofing_attempts a WHERE request_id = $1`,
      [body.id],
    );
    expect(rows.length).toBeGreaterThan(5);
    for (const secret of secrets) expect(rows.map((r) => r.t).join('\n')).not.toContain(secret);

    const shown = (await request(stack.app).get(`/v1/requests/${body.id}`).set(stack.bearer('operator'))).body;
    expect(shown.parameters).toEqual({ $protected: true });
    expect(shown.versions[0].parameters).toEqual({ $protected: true });

    // The codec endpoint: operators decrypt what the history holds; nobody else does.
    const started = JSON.parse(await cli('workflow', 'show', '--workflow-id', body.workflowId, '--output', 'json')) as {
      events: { workflowExecutionStartedEventAttributes?: { input: { payloads: unknown[] } } }[];
    };
    const payloads = started.events[0]!.workflowExecutionStartedEventAttributes!.input.payloads;
    expect((await request(stack.app).post('/codec/decode').send({ payloads })).status).toBe(401);
    expect((await request(stack.app).post('/codec/decode').set(stack.bearer('reviewer')).send({ payloads })).status).toBe(403);
    const decoded = await request(stack.app).post('/codec/decode').set(stack.bearer('operator')).send({ payloads });
    expect(decoded.status).toBe(200);
    expect(Buffer.from(decoded.body.payloads[0].data, 'base64').toString()).toContain('Zyskowski');
    // Protobuf JSON leaves an empty list out; the CLI sends `{}`.
    expect((await request(stack.app).post('/codec/decode').set(stack.bearer('operator')).send({})).body).toEqual({ payloads: [] });

    const preflight = await request(stack.app).options('/codec/decode').set('Origin', 'http://localhost:8233').set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:8233');
    expect((await request(stack.app).options('/codec/decode').set('Origin', 'http://evil.example')).status).toBe(403);

    // The Web UI's way in: an operator signs in once; the browser then sends the session cookie.
    expect((await request(stack.app).post('/codec/login').type('form').send({ key: 'not-a-key' })).status).toBe(401);
    const operatorKey = stack.bearer('operator').Authorization.replace('Bearer ', '');
    const login = await request(stack.app).post('/codec/login').type('form').send({ key: operatorKey });
    expect(login.status).toBe(200);
    const session = String(login.headers['set-cookie']).split(';')[0]!;
    expect(session).not.toContain(operatorKey);
    const viaCookie = await request(stack.app).post('/codec/decode').set('Cookie', session).set('Origin', 'http://localhost:8233').send({ payloads });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.headers['access-control-allow-credentials']).toBe('true');
    expect((await request(stack.app).post('/codec/decode').set('Cookie', `${session}x`).send({ payloads })).status).toBe(401);
  });

  it('is deleted when its TTL passes: the result and the sealed parameters', async () => {
    const { body } = await submit(stack, identity('Okafor'));
    expect((await settled(stack, body.id)).status).toBe('done');
    // Let the time pass (for this request only) and run the janitor's purge.
    await stack.db.query(`UPDATE proofing_results SET expires_at = now() - interval '1 second' WHERE request_id = $1`, [body.id]);
    await stack.db.query(`UPDATE requests SET updated_at = now() - interval '1 day' WHERE id = $1`, [body.id]);
    const purged = await purgeExpiredPersonalData(stack.db, { parametersTtlMs: 3_600_000, attemptWindowMs: 6 * 3_600_000 });
    expect(purged.results).toBeGreaterThanOrEqual(1);
    expect((await status(stack, body.id)).body).toMatchObject({ status: 'missing', reason: 'the result has expired' });
    const { rows } = await stack.db.query(`SELECT r.parameters AS r, v.parameters AS v FROM requests r JOIN request_versions v ON v.request_id = r.id WHERE r.id = $1`, [body.id]);
    expect(rows[0]).toEqual({ r: { $purged: true }, v: { $purged: true } });
  });
});
