/**
 * One request at a time beside one bare workflow at a time, with nothing else running: the
 * latency of the path itself, and where it goes. For every workflow task in the histories it
 * prints how long the task waited between being scheduled and a worker starting it.
 *
 *   npm run bench:one -- [--runs 10]
 */
import { historyCost } from './history-cost';
import { startBenchSubjects } from './bench-subjects';
import { percentile, startBenchStack } from './local-stack';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg >= 0 ? Number(process.argv[runsArg + 1]) : 10;
const ms = (v: number) => `${Math.round(v)} ms`;
const sorted = (values: number[]) => [...values].sort((a, b) => a - b);

async function main(): Promise<void> {
  const stack = await startBenchStack();
  const subjects = await startBenchSubjects(stack);
  const timings = { baseline: [] as number[], capflowNull: [] as number[] };
  const waits = { baseline: [] as number[], capflowNull: [] as number[] };
  let cost = { baseline: { events: 0, workflowTasks: 0 }, capflowNull: { events: 0, workflowTasks: 0 } };
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    const baselineId = await subjects.baseline();
    const t1 = performance.now();
    const res = await subjects.call('submitter', 'POST', '/v1/requests', { capability: 'null', parameters: {} });
    const { id } = (await res.json()) as { id: string };
    await subjects.closed(id);
    const t2 = performance.now();
    if (i < 2) continue; // warm-up
    timings.baseline.push(t1 - t0);
    timings.capflowNull.push(t2 - t1);
    const bare = await historyCost(subjects.bare, [baselineId]);
    const capflow = await historyCost(subjects.bare, [`request-${id}`, `request-${id}/v1/e1`]);
    waits.baseline.push(...bare.dispatchWaitsMs);
    waits.capflowNull.push(...capflow.dispatchWaitsMs);
    cost = { baseline: bare, capflowNull: capflow };
    process.stderr.write(`run ${i - 1}: baseline ${ms(t1 - t0)}, capflow null ${ms(t2 - t1)}\n`);
  }
  const row = (name: string, key: keyof typeof timings) => {
    const t = sorted(timings[key]);
    const w = sorted(waits[key]);
    return `| ${name} | p50 ${ms(percentile(t, 50))}, max ${ms(t[t.length - 1]!)} | ${cost[key].events} events, ${cost[key].workflowTasks} workflow tasks | p50 ${ms(percentile(w, 50))}, max ${ms(w[w.length - 1]!)} |`;
  };
  process.stdout.write(
    [
      '',
      `${runs} runs, one at a time, ${new Date().toISOString()}`,
      '| | start → closed | history per run | workflow task scheduled → started |',
      '|---|---|---|---|',
      row('baseline (bare workflow + 1 activity)', 'baseline'),
      row('capflow null via API (request + execution)', 'capflowNull'),
      '',
    ].join('\n'),
  );
  await subjects.stop();
  await stack.stop();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
