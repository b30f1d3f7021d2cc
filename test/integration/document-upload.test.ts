import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { PollCycle } from '../../db/documents';
import { insertRequest } from '../../db/requests';
import { createDocumentsApi, type DocumentsApi } from '../../simulators/documents-api';
import { documentPollScheduleId, ensureDocumentPollSchedule } from '../../worker/document-poll-schedule';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

const STEP_MS = 60_000;
let offsetMs = 0; // the simulator's clock, moved by the tests
let docs: DocumentsApi;
let docsServer: Server;
let stack: TestStack;

beforeAll(async () => {
  docs = createDocumentsApi({ stepMs: STEP_MS, now: () => Date.now() + offsetMs });
  docsServer = docs.app.listen(0, '127.0.0.1');
  await new Promise((r) => docsServer.once('listening', r));
  stack = await createTestStack({ documents: { apiUrl: `http://127.0.0.1:${(docsServer.address() as AddressInfo).port}` } });
});
afterAll(async () => {
  await stack?.close();
  docsServer?.close();
});

const upload = (fileName: string, content = `document ${fileName} ${randomUUID()}`) =>
  request(stack.app)
    .post('/v1/requests')
    .set(stack.bearer('submitter'))
    .field('capability', 'document_upload')
    .field('parameters', JSON.stringify({ fileNumber: '796043735', docType: 'L023' }))
    .attach('file', Buffer.from(content), { filename: fileName, contentType: 'application/pdf' });

const read = async (id: string) => (await request(stack.app).get(`/v1/requests/${id}`).set(stack.bearer('operator'))).body;
const uploadRow = async (id: string) => (await stack.db.query(`SELECT * FROM document_uploads WHERE request_id = $1`, [id])).rows[0];
/** Uploads, then waits until the document is handed off (pending at the documents API). */
const handedOff = async (fileName: string) => {
  const res = await upload(fileName);
  expect(res.status).toBe(202);
  const row = await eventually(() => uploadRow(res.body.id));
  return { id: res.body.id as string, workflowId: res.body.workflowId as string, externalId: row.external_id as number };
};
const pollCycle = () =>
  stack.temporal.workflow.execute('documentStatusPoller', { taskQueue: stack.taskQueue, workflowId: `poll-${randomUUID()}`, args: [{ pollingWindowMs: 0 }] }) as Promise<PollCycle>;
const ended = (id: string) =>
  eventually(async () => {
    const r = await read(id);
    return ['Complete', 'Failed', 'Cancelled'].includes(r.state) ? r : undefined;
  });

describe('document_upload', () => {
  it('uploads once, stays pending while processing, completes when the poller sees SUCCESS; the bytes never enter Temporal', async () => {
    const marker = `marker-${randomUUID()}`;
    const res = await upload('claim.pdf', `%PDF ${marker}`);
    const { id, workflowId } = res.body as { id: string; workflowId: string };
    const row = await eventually(() => uploadRow(id));
    expect(row.state).toBe('pending');
    expect(docs.documents.get(row.external_id)!.bytes).toBe(`%PDF ${marker}`.length);

    await pollCycle();
    expect((await uploadRow(id)).state).toBe('pending');
    expect((await read(id)).state).toBe('Executing');

    offsetMs += 3 * STEP_MS;
    const cycle = await pollCycle();
    expect(cycle.completed).toBeGreaterThanOrEqual(1);
    const done = await ended(id);
    expect(done.state).toBe('Complete');
    const after = await uploadRow(id);
    expect(after).toMatchObject({ state: 'completed', outcome_signalled_at: expect.any(Date), processing_started_at: expect.any(Date), processing_ended_at: expect.any(Date) });
    expect(after.last_status.steps.map((s: { status: string }) => s.status)).toEqual(['SUCCESS', 'SUCCESS']);

    // The file is referenced by id; its bytes are in PostgreSQL only.
    const history = JSON.stringify(await stack.temporal.workflow.getHandle(`${workflowId}/v1/e1`).fetchHistory());
    expect(history).not.toContain(marker);
    expect(history).not.toContain(Buffer.from(marker).toString('base64').slice(0, 16));
  });

  it('fails at either step with the detail and the failing step, visible on the request and in the metrics', async () => {
    const atClaims = await handedOff('FAIL_CLAIMS_EVIDENCE_scan.pdf');
    const atGateway = await handedOff('FAIL_BENEFITS_GATEWAY_SERVICE_scan.pdf');
    offsetMs += 3 * STEP_MS;
    await pollCycle();
    for (const [doc, step] of [
      [atClaims, 'CLAIMS_EVIDENCE'],
      [atGateway, 'BENEFITS_GATEWAY_SERVICE'],
    ] as const) {
      const failed = await ended(doc.id);
      expect(failed.state).toBe('Failed');
      expect(failed.transitions.at(-1)).toMatchObject({ event: 'workflow-failed', error: expect.stringContaining(step), details: { failedStep: step } });
      expect(await uploadRow(doc.id)).toMatchObject({ state: 'failed', error_step: step });
    }
    const metrics = (await request(stack.app).get('/metrics')).text;
    expect(metrics).toMatch(/capflow_document_uploads\{doc_type="L023",state="failed",step="CLAIMS_EVIDENCE"\} \d+/);
    expect(metrics).toMatch(/capflow_documents_marked_failed_total [1-9]/);
  });

  it('a document still processing 24 h after it started is a processing timeout, announced as a failure', async () => {
    const stuck = await handedOff('STUCK_scan.pdf');
    docs.documents.get(stuck.externalId)!.uploadedAt -= 25 * 3_600_000;
    const cycle = await pollCycle();
    expect(cycle.processingTimeouts).toBeGreaterThanOrEqual(1);
    const failed = await ended(stuck.id);
    expect(failed.state).toBe('Failed');
    expect(failed.transitions.at(-1).error).toMatch(/processing timeout/);
    expect((await request(stack.app).get('/metrics')).text).toMatch(/capflow_document_processing_timeouts_total [1-9]/);
  });

  it('unknown ids, missing or partial answers, 5xx and 429 never stop the batch; each is counted and picked up again', async () => {
    const gone = await handedOff('gone.pdf');
    const kept = await handedOff('kept.pdf');
    docs.documents.delete(gone.externalId);
    offsetMs += 3 * STEP_MS;

    docs.misbehaveNext('500');
    docs.misbehaveNext('429');
    docs.misbehaveNext('no-statuses');
    const first = await pollCycle();
    expect(first.pollingErrors).toMatchObject({ http_5xx: 1, rate_limited: 1, missing_statuses: 1 });
    expect(first.exhaustedRetries).toBe(0);
    expect((await uploadRow(kept.id)).state).toBe('pending'); // the answer had no statuses: asked again next cycle

    const second = await pollCycle();
    expect(second.notFound).toBeGreaterThanOrEqual(1);
    expect((await ended(kept.id)).state).toBe('Complete');
    expect((await uploadRow(gone.id)).state).toBe('pending'); // unknown for now: kept, counted, asked again

    // Three failures in a row exhaust a batch for this cycle; the next cycle picks it up.
    for (let i = 0; i < 3; i++) docs.misbehaveNext('500');
    const exhausted = await pollCycle();
    expect(exhausted.exhaustedRetries).toBe(1);
    const metrics = (await request(stack.app).get('/metrics')).text;
    expect(metrics).toMatch(/capflow_document_polling_errors_total\{kind="not_found"\} [1-9]/);
    expect(metrics).toMatch(/capflow_document_status_exhausted_retries_total [1-9]/);
    docs.documents.set(gone.externalId, { requestId: gone.externalId, uploadedAt: Date.now() + offsetMs - 3 * STEP_MS, behaviour: 'succeed', bytes: 1, idempotencyKey: undefined });
    await pollCycle();
    expect((await ended(gone.id)).state).toBe('Complete');
  });

  it('a cycle that crashed between recording an outcome and telling it: the next cycle tells it, exactly once', async () => {
    const doc = await handedOff('crash.pdf');
    // What a worker killed mid-cycle leaves behind: the outcome recorded, not yet signalled.
    await stack.db.query(`UPDATE document_uploads SET state = 'completed', last_polled_at = now() WHERE request_id = $1`, [doc.id]);
    const handle = stack.temporal.workflow.getHandle(`${doc.workflowId}/v1/e1`);
    await pollCycle();
    expect((await ended(doc.id)).state).toBe('Complete');
    // A duplicate signal (a retried cycle that had told it already) changes nothing.
    await handle.signal('stepOutcome', { success: false, error: 'late duplicate' }).catch(() => undefined);
    const transitions = (await read(doc.id)).transitions.map((t: { event: string }) => t.event);
    expect(transitions.filter((e: string) => e === 'workflow-complete' || e === 'workflow-failed')).toEqual(['workflow-complete']);
  });

  it('a FAILED without an error is still a failure, recorded as such', async () => {
    const doc = await handedOff('odd.pdf');
    docs.misbehaveNext('failed-without-error');
    await pollCycle();
    const failed = await ended(doc.id);
    expect(failed.state).toBe('Failed');
    expect(failed.transitions.at(-1).error).toMatch(/without saying why/);
  });
});

describe('bad input', () => {
  it('refuses a missing file, bad metadata, a file over the limit (413) and JSON bodies, and stores nothing', async () => {
    const before = Number((await stack.db.query(`SELECT count(*) FROM document_blobs`)).rows[0].count);
    const noFile = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).field('parameters', JSON.stringify({ fileNumber: '796043735', docType: 'L023' }));
    expect(noFile.status).toBe(422);
    expect(noFile.body.errors[0].field).toBe('file');
    const badMeta = await request(stack.app)
      .post('/v1/requests')
      .set(stack.bearer('submitter'))
      .field('parameters', JSON.stringify({ fileNumber: '12', docType: 'x' }))
      .attach('file', Buffer.from('x'), 'a.pdf');
    expect(badMeta.status).toBe(422);
    expect(badMeta.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['parameters.docType', 'parameters.fileNumber']);
    const tooLarge = await request(stack.app)
      .post('/v1/requests')
      .set(stack.bearer('submitter'))
      .field('parameters', JSON.stringify({ fileNumber: '796043735', docType: 'L023' }))
      .attach('file', Buffer.alloc(65 * 1024, 1), 'big.pdf');
    expect(tooLarge.status).toBe(413);
    const json = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability: 'document_upload', parameters: {} });
    expect(json.status).toBe(422);
    expect(json.body.errors[0].field).toBe('file');
    expect((await request(stack.app).post('/v1/requests').field('parameters', '{}').attach('file', Buffer.from('x'), 'a.pdf')).status).toBe(401);
    expect(Number((await stack.db.query(`SELECT count(*) FROM document_blobs`)).rows[0].count)).toBe(before);
  });

  it('the same Idempotency-Key uploads once', async () => {
    const key = randomUUID();
    const send = () => upload('twice.pdf', 'same bytes').set('Idempotency-Key', key);
    const [a, b] = [await send(), await send()];
    expect(a.body.id).toBe(b.body.id);
    await eventually(() => uploadRow(a.body.id));
    const uploads = docs.uploads;
    await new Promise((r) => setTimeout(r, 500));
    expect(docs.uploads).toBe(uploads);
    expect((await stack.db.query(`SELECT count(*) FROM document_uploads WHERE request_id = $1`, [a.body.id])).rows[0].count).toBe('1');
  });
});

describe('the poller at volume', () => {
  it('polls 250 pending documents with ceil(250 / 100) status calls per cycle', async () => {
    const pendingBefore = Number((await stack.db.query(`SELECT count(*) FROM document_uploads WHERE state = 'pending'`)).rows[0].count);
    for (let i = 0; i < 250; i++) {
      const id = randomUUID();
      await insertRequest(stack.db, { id, workflowId: `request-${id}`, firstExecutionWorkflowId: `request-${id}/v1/e1`, capability: 'document_upload', parameters: {}, submittedBy: 'submitter:bulk', submittedAt: new Date() });
      const externalId = 900_000 + i;
      docs.documents.set(externalId, { requestId: externalId, uploadedAt: Date.now() + offsetMs, behaviour: 'stuck', bytes: 1, idempotencyKey: undefined });
      await stack.db.query(`INSERT INTO document_uploads (request_id, version, execution, workflow_id, external_id, doc_type) VALUES ($1, 1, 1, $2, $3, 'L023')`, [
        id,
        `request-${id}/v1/e1`,
        externalId,
      ]);
    }
    const calls = docs.statusCalls.length;
    const cycle = await pollCycle();
    const expected = Math.ceil((pendingBefore + 250) / 100);
    expect(cycle.statusCalls).toBe(expected);
    expect(docs.statusCalls.slice(calls).every((n) => n <= 100)).toBe(true);
    expect(cycle.polled).toBe(pendingBefore + 250);
    await stack.db.query(`UPDATE document_uploads SET state = 'failed', outcome_signalled_at = now() WHERE doc_type = 'L023' AND external_id >= 900000`);
  });

  it('runs as a Temporal Schedule at the configured interval', async () => {
    await ensureDocumentPollSchedule(stack.temporal, { taskQueue: stack.taskQueue, everyMs: 3_600_000, pollingWindowMs: 3_600_000 });
    await ensureDocumentPollSchedule(stack.temporal, { taskQueue: stack.taskQueue, everyMs: 5_000, pollingWindowMs: 1_000 }); // a second start updates it
    const handle = stack.temporal.schedule.getHandle(documentPollScheduleId);
    try {
      const described = await handle.describe();
      expect(described.spec.intervals?.[0]?.every).toBe(5_000);
      expect(described.action).toMatchObject({ workflowType: 'documentStatusPoller', args: [{ pollingWindowMs: 1_000 }] });
    } finally {
      await handle.delete();
    }
  });
});
