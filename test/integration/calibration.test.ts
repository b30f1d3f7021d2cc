import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { archivedProducts } from '../../db/products';
import { createProcessingExecutor, type ProcessingExecutor } from '../../simulators/processing-executor';
import { builtInCapabilities } from '../../workflows/capabilities';
import type { CapabilityDefinition } from '../../workflows/capability-model';
import { createTestStack, eventually, type TestStack } from '../support/test-stack';

const stagingDir = mkdtempSync(path.join(tmpdir(), 'capflow-staging-'));
const archiveDir = mkdtempSync(path.join(tmpdir(), 'capflow-archive-'));
// The same capability with a short heartbeat timeout, so a hung executor is noticed within a test.
const probe: CapabilityDefinition = { ...builtInCapabilities.calibration!, name: 'calibration_hang_probe', stepHeartbeatTimeoutMs: 2_000 };
let executor: ProcessingExecutor;
let executorServer: Server;
let stack: TestStack;

beforeAll(async () => {
  executor = createProcessingExecutor({ stagingDir });
  executorServer = executor.app.listen(0, '127.0.0.1');
  await new Promise((r) => executorServer.once('listening', r));
  stack = await createTestStack({
    capabilities: [probe],
    calibration: { executorUrl: `http://127.0.0.1:${(executorServer.address() as AddressInfo).port}`, stagingDir, archiveDir },
    app: { stagingDir },
  });
});
afterAll(async () => {
  await stack?.close();
  executorServer?.close();
});

const submit = async (parameters: object, capability = 'calibration') => {
  const res = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability, parameters: { dataset: 'VLA/24A-123', durationMs: 300, ...parameters } });
  expect(res.status).toBe(202);
  return res.body as { id: string; workflowId: string };
};
const read = async (id: string) => (await request(stack.app).get(`/v1/requests/${id}`).set(stack.bearer('operator'))).body;
const until = (id: string, check: (r: { state: string; versions: { state: string }[] }) => boolean, timeoutMs = 30_000) =>
  eventually(async () => {
    const r = await read(id);
    return check(r) ? r : undefined;
  }, timeoutMs);
const decide = (id: string, body: object) => request(stack.app).post(`/v1/requests/${id}/qa`).set(stack.bearer('reviewer')).send(body);
const products = async (id: string, version: number) => (await request(stack.app).get(`/v1/requests/${id}/versions/${version}/products`).set(stack.bearer('reviewer'))).body;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('calibration', () => {
  it('runs the job, lists its products for the reviewer, and a pass ingests exactly those with verified checksums', async () => {
    const { id } = await submit({});
    await until(id, (r) => r.state === 'AwaitingQa');
    const listed = await products(id, 1);
    expect(listed.products.map((p: { name: string }) => p.name)).toEqual(['calibrated.ms', 'gains.tbl', 'weblog.html']);
    const download = await request(stack.app).get(listed.products[0].links.download).set(stack.bearer('reviewer')).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(download.status).toBe(200);
    expect(sha256(download.body as Buffer)).toBe(listed.products[0].sha256);

    const emails = (await request(stack.app).get(`/v1/requests/${id}/notifications`).set(stack.bearer('operator'))).body.emails;
    expect(emails.find((e: { template: string }) => e.template === 'qa-announce')).toBeDefined();

    expect((await decide(id, { decision: 'pass', comment: 'bandpass looks clean; flagged antenna 12' })).status).toBe(200);
    const done = await until(id, (r) => r.state === 'Complete');
    expect(done.qa[0]).toMatchObject({ decision: 'pass', comment: 'bandpass looks clean; flagged antenna 12' });
    const archived = await archivedProducts(stack.db, id);
    expect(archived.map((a) => [a.name, a.sha256])).toEqual(listed.products.map((p: { name: string; sha256: string }) => [p.name, p.sha256]));
    for (const a of archived) expect(sha256(readFileSync(path.join(archiveDir, a.archivePath)))).toBe(a.sha256);
  });

  it('an executor failure ends Failed with its reason and the workflow-failed notice', async () => {
    const { id } = await submit({ outcome: 'fail', durationMs: 400 });
    const failed = await until(id, (r) => r.state === 'Failed');
    expect(failed.transitions.at(-1).error).toMatch(/calibration diverged/);
    const emails = (await request(stack.app).get(`/v1/requests/${id}/notifications`).set(stack.bearer('operator'))).body.emails;
    expect(emails.map((e: { template: string }) => e.template)).toContain('workflow-failed');
  });

  it('cancelling the request stops the job at the executor', async () => {
    const { id } = await submit({ durationMs: 60_000 });
    await until(id, (r) => r.state === 'Executing');
    await eventually(async () => ([...executor.jobs.values()].some((j) => j.key?.startsWith(id)) ? true : undefined));
    await request(stack.app).post(`/v1/requests/${id}/cancel`).set(stack.bearer('submitter')).send({ reason: 'wrong dataset' }).expect(200);
    await eventually(async () => ([...executor.jobs.values()].find((j) => j.key?.startsWith(id))?.state === 'cancelled' ? true : undefined));
  });

  it('a hung executor is detected by the heartbeat timeout and the step retried with a new job', async () => {
    const { id } = await submit({ outcome: 'hang-first', durationMs: 300 }, probe.name);
    await until(id, (r) => r.state === 'AwaitingQa', 45_000);
    const jobs = [...executor.jobs.values()].filter((j) => j.key?.startsWith(id));
    expect(jobs.map((j) => j.state)).toEqual(['cancelled', 'succeeded']);
    await request(stack.app).post(`/v1/requests/${id}/cancel`).set(stack.bearer('operator')).send({ reason: 'done' });
  });

  it('a checksum mismatch at ingest fails the request, tells the data analysts, and archives nothing', async () => {
    const { id } = await submit({ outcome: 'corrupt' });
    await until(id, (r) => r.state === 'AwaitingQa');
    await decide(id, { decision: 'pass' });
    const failed = await until(id, (r) => r.state === 'Failed');
    expect(failed.transitions.at(-1)).toMatchObject({ from: 'Ingesting', event: 'workflow-failed', error: expect.stringMatching(/checksum mismatch for gains.tbl/) });
    const emails = (await request(stack.app).get(`/v1/requests/${id}/notifications`).set(stack.bearer('operator'))).body.emails;
    expect(emails.filter((e: { template: string }) => e.template === 'ingest-failed').map((e: { recipient: string }) => e.recipient)).toEqual(['data-analysts@capflow.local']);
    expect(await archivedProducts(stack.db, id)).toEqual([]);
  });

  it('two versions: the second passes, only its products reach the archive, the first’s staging is cleaned up', async () => {
    const { id } = await submit({});
    await until(id, (r) => r.state === 'AwaitingQa');
    await request(stack.app).post(`/v1/requests/${id}/versions`).set(stack.bearer('submitter')).send({ parameters: { dataset: 'VLA/24A-123', durationMs: 300 } }).expect(201);
    await until(id, (r) => r.versions.length === 2 && r.versions.every((v) => v.state === 'AwaitingQa'));
    const [first, second] = [await products(id, 1), await products(id, 2)];
    await eventually(async () => ((await decide(id, { version: 2, decision: 'pass' })).status === 200 ? true : undefined));
    await until(id, (r) => r.state === 'Complete' && r.versions[0]!.state === 'Failed');
    const archived = await archivedProducts(stack.db, id);
    expect(archived.every((a) => a.version === 2)).toBe(true);
    expect(archived.map((a) => a.sha256)).toEqual(second.products.map((p: { sha256: string }) => p.sha256));
    expect((await products(id, 1)).products).toEqual([]); // cleaned up
    expect(first.products).toHaveLength(3);
    expect(existsSync(path.join(stagingDir, [...executor.jobs.values()].find((j) => j.key?.startsWith(`${id}/v1`))!.id))).toBe(false);
  });

  it('ingestion interrupted half-way (a crash) resumes without duplicates or half files', async () => {
    const { id } = await submit({});
    await until(id, (r) => r.state === 'AwaitingQa');
    const listed = (await products(id, 1)).products as { name: string; sha256: string }[];
    // What a worker killed mid-ingest leaves: the first product archived and catalogued, a partial file of the second.
    const job = [...executor.jobs.values()].find((j) => j.key?.startsWith(id))!;
    const first = listed[0]!;
    mkdirSync(path.join(archiveDir, first.sha256.slice(0, 2)), { recursive: true });
    writeFileSync(path.join(archiveDir, first.sha256.slice(0, 2), first.sha256), readFileSync(path.join(stagingDir, job.id, first.name)));
    await stack.db.query(`INSERT INTO archive_catalog (request_id, version, name, sha256, size, archive_path) VALUES ($1, 1, $2, $3, 1, $4)`, [
      id,
      first.name,
      first.sha256,
      path.join(first.sha256.slice(0, 2), first.sha256),
    ]);
    const second = listed[1]!;
    mkdirSync(path.join(archiveDir, second.sha256.slice(0, 2)), { recursive: true });
    writeFileSync(path.join(archiveDir, second.sha256.slice(0, 2), `${second.sha256}.dead.partial`), 'half a fi');
    await decide(id, { decision: 'pass' });
    await until(id, (r) => r.state === 'Complete');
    const archived = await archivedProducts(stack.db, id);
    expect(archived.map((a) => a.name)).toEqual(listed.map((p) => p.name));
    for (const a of archived) expect(sha256(readFileSync(path.join(archiveDir, a.archivePath)))).toBe(a.sha256);
    expect(readdirSync(path.join(archiveDir, second.sha256.slice(0, 2))).filter((f) => f === second.sha256)).toHaveLength(1);
  });
});
