import { spawn } from 'node:child_process';
import path from 'node:path';
import request from 'supertest';
import { requestView } from '../../api/schemas';
import { requireTestEnv } from '../support/test-env';
import { createTestStack, eventually, testPayloadKeysEnv, testSigningKey, type TestStack } from '../support/test-stack';

/**
 * A real worker process is killed (SIGKILL) while it is in the middle of a transition — its
 * audit write is blocked on a lock we hold — and a new worker takes over. Every transition must
 * end up in the audit trail exactly once, in order, with nothing lost.
 */
const root = path.join(__dirname, '..', '..');
jest.setTimeout(120_000);

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({ startWorker: false });
});
afterAll(async () => {
  await stack?.close();
});

it('a worker killed mid-transition leaves exactly one audit row per transition after restart', async () => {
  const lock = await stack.db.connect();
  const worker = spawn(process.execPath, ['-r', './test/support/ts-register.js', 'worker/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: requireTestEnv('databaseUrl'),
      TEMPORAL_ADDRESS: requireTestEnv('temporalAddress'),
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      WEBHOOK_SIGNING_KEY: testSigningKey,
      PAYLOAD_KEYS: testPayloadKeysEnv,
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  const workerExited = new Promise((resolve) => worker.once('exit', resolve));
  try {
    // Hold the audit table so the worker's first transition write blocks mid-way.
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE request_transitions IN EXCLUSIVE MODE');

    const submitted = await request(stack.app).post('/v1/requests').set(stack.bearer('submitter')).send({ capability: 'null_qa' });
    expect(submitted.status).toBe(202);
    const { id } = submitted.body as { id: string };

    await eventually(async () => {
      const { rows } = await stack.db.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO request_transitions%'`,
      );
      return rows.length > 0 ? true : undefined;
    }, 60_000);

    worker.kill('SIGKILL');
    await workerExited;
    await lock.query('ROLLBACK');

    // The replacement worker: the activity times out on the dead one and is retried here.
    await stack.startWorker();
    const reached = await eventually(async () => {
      const res = await request(stack.app).get(`/v1/requests/${id}`).set(stack.bearer('reviewer'));
      return res.body.state === 'AwaitingQa' ? requestView.parse(res.body) : undefined;
    }, 90_000);
    await request(stack.app).post(`/v1/requests/${id}/qa`).set(stack.bearer('reviewer')).send({ decision: 'pass' }).expect(200);

    expect(reached.transitions).toHaveLength(3);
    await eventually(async () => ((await stack.db.query(`SELECT count(*)::int AS n FROM request_transitions WHERE request_id = $1`, [id])).rows[0].n === 5 ? true : undefined));
    const final = await stack.db.query<{ seq: number; event: string }>(`SELECT seq, event FROM request_transitions WHERE request_id = $1 ORDER BY seq`, [id]);
    expect(final.rows).toEqual([
      { seq: 1, event: 'capability-submitted' },
      { seq: 2, event: 'resume' },
      { seq: 3, event: 'workflow-complete' },
      { seq: 4, event: 'qa-pass' },
      { seq: 5, event: 'workflow-complete' },
    ]);
    const { rows } = await stack.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM request_transitions WHERE request_id = $1 GROUP BY seq, event`, [id]);
    expect(rows.map((r) => r.n)).toEqual([1, 1, 1, 1, 1]);
  } finally {
    worker.kill('SIGKILL');
    await lock.query('ROLLBACK').catch(() => undefined);
    lock.release();
  }
});
