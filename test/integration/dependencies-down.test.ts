import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { principalIdOf } from '../../api/auth';
import { uuidFrom } from '../../api/use-cases/submit-request';
import { createPool } from '../../db/pool';
import { freePort } from '../../scripts/free-port';
import { requireTestEnv } from '../support/test-env';
import { bearer, createTestApp, testKeys } from '../support/test-stack';


/** A loopback address where nothing listens: a dependency that is down. */
const deadAddress = async () => `127.0.0.1:${await freePort()}`;

describe('when Temporal is down', () => {
  const db = createPool(requireTestEnv('databaseUrl'));
  let connection: Connection;
  let app: ReturnType<typeof createTestApp>;
  beforeAll(async () => {
    connection = Connection.lazy({ address: await deadAddress() });
    app = createTestApp({ db, temporal: new Client({ connection }) });
  });
  afterAll(async () => {
    await connection.close();
    await db.end();
  });

  it('/readyz says which dependency is missing', async () => {
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.database).toBe('ok');
    expect(res.body.checks.temporal).toMatch(/^unreachable/);
  });

  it('/healthz still answers: the process itself is fine', async () => {
    expect((await request(app).get('/healthz')).status).toBe(200);
  });

  it('POST answers 503 with Retry-After and writes nothing, so the same key can be retried', async () => {
    const key = randomUUID();
    const res = await request(app).post('/v1/requests').set(bearer('submitter')).set('Idempotency-Key', key).send({ capability: 'null' });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.body.detail).toMatch(/temporal/);
    const id = uuidFrom(`${principalIdOf('submitter', testKeys.submitter)}\n${key}`);
    expect((await db.query('SELECT count(*)::int AS n FROM requests WHERE id = $1', [id])).rows[0].n).toBe(0);
    expect((await db.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [key])).rows[0].n).toBe(0);
  });
});

describe('when PostgreSQL is down', () => {
  let db: ReturnType<typeof createPool>;
  let connection: Connection;
  let temporal: Client;
  let app: ReturnType<typeof createTestApp>;
  beforeAll(async () => {
    db = createPool(`postgres://capflow:capflow@${await deadAddress()}/capflow`);
    connection = await Connection.connect({ address: requireTestEnv('temporalAddress') });
    temporal = new Client({ connection });
    app = createTestApp({ db, temporal, taskQueue: `down-${randomUUID()}` });
  });
  afterAll(async () => {
    await connection.close();
    await db.end();
  });

  it('/readyz says the database is unreachable', async () => {
    const res = await request(app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.temporal).toBe('ok');
    expect(res.body.checks.database).toMatch(/^unreachable/);
  });

  it('POST answers 503 with Retry-After and starts no workflow, with or without an Idempotency-Key', async () => {
    const key = randomUUID();
    const withKey = await request(app).post('/v1/requests').set(bearer('submitter')).set('Idempotency-Key', key).send({ capability: 'null' });
    expect(withKey.status).toBe(503);
    expect(withKey.headers['retry-after']).toBeDefined();
    expect(withKey.body.detail).toMatch(/database/);
    const withoutKey = await request(app).post('/v1/requests').set(bearer('submitter')).send({ capability: 'null' });
    expect(withoutKey.status).toBe(503);

    const id = uuidFrom(`${principalIdOf('submitter', testKeys.submitter)}\n${key}`);
    await expect(temporal.workflow.getHandle(`request-${id}`).describe()).rejects.toThrow(/not found/i);
  });

  it('reads answer 503 rather than 500', async () => {
    const res = await request(app).get('/v1/requests').set(bearer('reviewer'));
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
