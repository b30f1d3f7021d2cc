import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { SMTPServer } from 'smtp-server';
import { notificationHistory } from '../../api/schemas';
import { createMailer } from '../../notifications/mailer';
import { verifySignature } from '../../notifications/webhook-signature';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

jest.setTimeout(90_000);

/** A real SMTP server on loopback that keeps what it receives. */
const mails: { to: string[]; raw: string }[] = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onData(stream, session, callback) {
    let raw = '';
    stream.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    stream.on('end', () => {
      mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
      callback();
    });
  },
});

/** A callback receiver that fails its first attempts, as real ones do. */
const received: { delivery: string; signature: string; body: string; status: number }[] = [];
let failuresLeft = 2;
const receiver = express();
receiver.post('/hooks', express.text({ type: '*/*' }), (req, res) => {
  const status = failuresLeft-- > 0 ? 503 : 200;
  received.push({ delivery: req.header('X-Capflow-Delivery')!, signature: req.header('X-Capflow-Signature')!, body: req.body as string, status });
  res.status(status).end();
});
// One that holds every callback until the test lets it answer.
let releaseHeld: () => void = () => undefined;
const held = new Promise<void>((resolve) => (releaseHeld = resolve));
receiver.post('/held', express.text({ type: '*/*' }), (_req, res) => void held.then(() => res.status(200).end()));
let receiverUrl: string;
let receiverServer: ReturnType<typeof receiver.listen>;

let stack: TestStack;
beforeAll(async () => {
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  receiverServer = await new Promise((resolve) => {
    const server = receiver.listen(0, '127.0.0.1', () => resolve(server));
  });
  receiverUrl = `http://127.0.0.1:${(receiverServer.address() as AddressInfo).port}/hooks`;
  const smtpPort = (smtp.server.address() as AddressInfo).port;
  stack = await createTestStack({ mailer: createMailer(`smtp://127.0.0.1:${smtpPort}`, 'capflow <capflow@test>') });
});
afterAll(async () => {
  await stack?.close();
  await new Promise((r) => smtp.close(() => r(undefined)));
  receiverServer?.close();
});

const history = async (id: string) => notificationHistory.parse((await request(stack.app).get(`/v1/requests/${id}/notifications`).set(stack.bearer('reviewer'))).body);

it('delivers each callback event once, signed with the submitter’s secret, even when the receiver fails first', async () => {
  const submitted = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability: 'null', callbackUrl: receiverUrl });
  expect(submitted.status).toBe(202);
  const id = submitted.body.id as string;

  const delivered = await eventually(async () => {
    const h = await history(id);
    return h.webhooks[0]?.deliveredAt ? h : undefined;
  }, 60_000);
  expect(delivered.webhooks).toEqual([expect.objectContaining({ message: 'execution_complete', attempts: 3, lastStatus: 200, url: receiverUrl })]);

  const accepted = received.filter((r) => r.status === 200);
  expect(accepted).toHaveLength(1);
  expect(new Set(received.map((r) => r.delivery))).toEqual(new Set([`${id}:v1:e1:3:execution_complete`]));
  expect(received.every((r) => r.body === received[0]!.body)).toBe(true); // the same bytes every attempt

  const { secret } = (await request(stack.app).get('/v1/webhook-secret').set(stack.bearer('submitter'))).body as { secret: string };
  const now = Math.floor(Date.now() / 1000);
  expect(verifySignature(secret, accepted[0]!.body, accepted[0]!.signature, now)).toBe(true);
  expect(verifySignature(secret, `${accepted[0]!.body} `, accepted[0]!.signature, now)).toBe(false);
  const { secret: otherSecret } = (await request(stack.app).get('/v1/webhook-secret').set(stack.otherSubmitter)).body as { secret: string };
  expect(verifySignature(otherSecret, accepted[0]!.body, accepted[0]!.signature, now)).toBe(false);

  expect(JSON.parse(accepted[0]!.body)).toMatchObject({ type: 'execution_complete', requestId: id, version: 1, execution: 1, capability: 'null', state: 'Complete', transition: { seq: 3, from: 'Executing', to: 'Complete' } });
});

it('records each notification once in the outbox and sends it by SMTP to the capability’s lists', async () => {
  const submitted = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability: 'null_qa' });
  const id = submitted.body.id as string;
  // The announcement goes out as the request enters AwaitingQa; decide once it is there.
  await eventually(async () => ((await request(stack.app).get(`/v1/requests/${id}`).set(stack.bearer('reviewer'))).body.state === 'AwaitingQa' ? true : undefined));
  await request(stack.app).post(`/v1/requests/${id}/qa`).set(stack.bearer('reviewer')).send({ decision: 'pass' }).expect(200);
  const done = await eventually(async () => {
    const h = await history(id);
    return h.emails.some((e) => e.template === 'workflow-complete' && e.sentAt) ? h : undefined;
  });
  expect(done.emails.map((e) => [e.template, e.recipient])).toEqual([
    ['qa-announce', 'reviewers@capflow.local'],
    ['workflow-complete', 'data-analysts@capflow.local'],
  ]);
  expect(done.webhooks).toEqual([]); // no callbackUrl given: no callbacks
  const mine = mails.filter((m) => m.raw.includes(id));
  expect(mine.map((m) => m.to)).toEqual([['reviewers@capflow.local'], ['data-analysts@capflow.local']]);
  expect(mine[0]!.raw).toMatch(/Subject: \[capflow\] null_qa request awaits QA/);
});

it('refuses a callbackUrl that is not http(s)', async () => {
  const res = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability: 'null', callbackUrl: 'ftp://example.test/x' });
  expect(res.status).toBe(422);
  expect(res.body.errors[0].field).toBe('callbackUrl');
});

it('a callback still on its way never holds the request back: it reads Complete before the callback is answered', async () => {
  const submitted = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability: 'null', callbackUrl: receiverUrl.replace('/hooks', '/held') });
  const id = submitted.body.id as string;
  try {
    await eventually(async () => {
      const res = await request(stack.app).get(`/v1/requests/${id}`).set(stack.bearer('submitter'));
      return res.body.state === 'Complete' ? res : undefined;
    }, 30_000);
    expect((await history(id)).webhooks).toEqual([expect.objectContaining({ message: 'execution_complete', deliveredAt: null })]);
  } finally {
    releaseHeld();
  }
  await eventually(async () => ((await history(id)).webhooks[0]?.deliveredAt ? true : undefined), 30_000);
});
