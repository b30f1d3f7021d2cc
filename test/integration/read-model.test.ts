import { randomUUID } from 'node:crypto';
import { migrate } from '../../db/migrate';
import { createPool } from '../../db/pool';
import { findRequest, insertRequest, listTransitions, recordTransition } from '../../db/requests';
import { requireTestEnv } from '../support/test-env';

const db = createPool(requireTestEnv('databaseUrl'));
afterAll(async () => {
  await db.end();
});

const transition = (seq: number, from: string, to: string) => ({
  seq,
  from,
  event: 'resume',
  to,
  actions: ['ExecuteWorkflow'],
  actor: 'capflow',
  details: {},
  occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, seq)).toISOString(),
});

async function newRequest(): Promise<string> {
  const id = randomUUID();
  await insertRequest(db, { id, workflowId: `request-${id}`, capability: 'null', parameters: {}, submittedBy: 'submitter:x', submittedAt: new Date() });
  return id;
}

describe('the read model', () => {
  it('creates a request once however often it is registered', async () => {
    const id = await newRequest();
    await insertRequest(db, { id, workflowId: `request-${id}`, capability: 'null', parameters: { changed: true }, submittedBy: 'someone-else', submittedAt: new Date(0) });
    const row = await findRequest(db, id);
    expect(row).toMatchObject({ state: 'Start', parameters: {}, submittedBy: 'submitter:x' });
  });

  it('records a retried transition once (an activity retried after a crash)', async () => {
    const id = await newRequest();
    await recordTransition(db, id, transition(1, 'Start', 'Queued'));
    await recordTransition(db, id, transition(1, 'Start', 'Queued'));
    expect(await listTransitions(db, id)).toHaveLength(1);
    expect((await findRequest(db, id))!.state).toBe('Queued');
  });

  it('never moves the state backwards when transitions arrive out of order', async () => {
    const id = await newRequest();
    await recordTransition(db, id, transition(2, 'Queued', 'Executing'));
    await recordTransition(db, id, transition(1, 'Start', 'Queued'));
    expect((await findRequest(db, id))!.state).toBe('Executing');
    expect((await listTransitions(db, id)).map((t) => t.seq)).toEqual([1, 2]);
  });

  it('migrations are recorded and applying them again (even concurrently) does nothing', async () => {
    const results = await Promise.all([migrate(db), migrate(db)]);
    expect(results.map((r) => r.applied)).toEqual([[], []]);
    const { rows } = await db.query('SELECT id, name FROM schema_migrations ORDER BY id');
    expect(rows[0]).toEqual({ id: 1, name: '001_requests.sql' });
  });
});
