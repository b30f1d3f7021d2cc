import { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createPool } from '../../db/pool';
import { createTestApp } from '../support/test-stack';

describe('OpenAPI document', () => {
  // The document needs no live dependencies; lazy clients never connect here.
  const db = createPool('postgres://nobody:none@127.0.0.1:1/none');
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  const app = createTestApp({ db, temporal: new Client({ connection }) });
  afterAll(async () => {
    await connection.close();
    await db.end();
  });

  it('is OpenAPI 3.1 generated from the route schemas', async () => {
    const res = await request(app).get('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.body;
    expect(doc.openapi).toBe('3.1.0');
    const submit = doc.paths['/v1/requests'].post;
    expect(submit.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['capability'],
      additionalProperties: false,
      properties: { capability: { type: 'string' } },
    });
    expect(submit.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
    expect(submit.security).toEqual([{ apiKey: [] }]);
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '403', '404', '422', '503']));
    expect(submit.responses['422'].content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
    expect(doc.paths['/v1/requests/{id}'].get.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', required: true })]);
    expect(doc.paths['/v1/requests'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'capability',
      'cursor',
      'limit',
      'state',
      'submittedAfter',
      'submittedBefore',
      'submittedBy',
    ]);
    const qa = doc.paths['/v1/requests/{id}/qa'].post;
    expect(qa.requestBody.content['application/json'].schema.properties.decision.enum).toEqual(['pass', 'fail']);
    expect(Object.keys(qa.responses)).toEqual(expect.arrayContaining(['200', '404', '409']));
    expect(doc.paths['/v1/capabilities/{name}'].get.responses['200'].content['application/json'].schema.properties).toHaveProperty('mermaid');
    expect(doc.paths['/v1/requests/{id}'].get.responses['200'].content['application/json'].schema.properties.state.enum).toContain('AwaitingQa');
  });

  it('has a browsable docs page', async () => {
    const res = await request(app).get('/docs/').redirects(1);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/swagger-ui/i);
  });
});
