import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { Logger } from '../observability/logger';
import { checkReadiness } from './readiness';
import { defineRoute, type RouteSpec } from './routing';
import {
  healthStatus,
  listRequestsQuery,
  readiness,
  requestIdParams,
  requestList,
  requestView,
  submitRequestBody,
  submittedRequest,
} from './schemas';
import { getRequest, listRequestPage } from './use-cases/read-requests';
import { submitRequest } from './use-cases/submit-request';

export interface RouteDeps {
  db: Pool;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
}

const problems = {
  400: { description: 'Malformed JSON' },
  401: { description: 'Missing or unknown API key' },
  403: { description: 'The key’s role may not do this' },
  422: { description: 'A field is invalid; `errors` names it' },
} as const;

export function buildRoutes(deps: RouteDeps): RouteSpec[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      summary: 'Liveness: the process is up',
      tags: ['operations'],
      responses: { 200: { description: 'Alive', schema: healthStatus } },
      handle: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      operationId: 'readiness',
      summary: 'Readiness: PostgreSQL and Temporal are reachable (says which is not)',
      tags: ['operations'],
      responses: {
        200: { description: 'Ready', schema: readiness },
        503: { description: 'A dependency is unreachable', schema: readiness },
      },
      handle: async () => {
        const report = await checkReadiness(deps.db, deps.temporal);
        return { status: report.status === 'ready' ? 200 : 503, body: report };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/requests',
      operationId: 'submitRequest',
      summary: 'Submit a capability request',
      tags: ['requests'],
      roles: ['submitter', 'operator'],
      body: submitRequestBody,
      idempotent: true,
      responses: {
        202: { description: 'Accepted; the request runs as a workflow', schema: submittedRequest },
        ...problems,
        404: { description: 'Unknown capability' },
        409: { description: 'The same Idempotency-Key is still being processed' },
        415: { description: 'The body is not JSON' },
        503: { description: 'Temporal or PostgreSQL is unreachable; nothing was started (see Retry-After)' },
      },
      handle: async ({ body, principal, idempotencyKey }) => {
        const submitted = await submitRequest(deps, {
          capability: body.capability,
          parameters: body.parameters,
          principal: principal!,
          ...(idempotencyKey ? { idempotencyKey } : {}),
        });
        return { status: 202, body: submitted, location: submitted.links.self };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/requests',
      operationId: 'listRequests',
      summary: 'List requests, newest first',
      tags: ['requests'],
      roles: ['submitter', 'reviewer', 'operator'],
      query: listRequestsQuery,
      responses: { 200: { description: 'A page of requests', schema: requestList }, ...problems },
      handle: async ({ query }) => ({ status: 200, body: await listRequestPage(deps.db, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/requests/:id',
      operationId: 'getRequest',
      summary: 'Read one request with its transition history',
      tags: ['requests'],
      roles: ['submitter', 'reviewer', 'operator'],
      params: requestIdParams,
      responses: { 200: { description: 'The request', schema: requestView }, ...problems, 404: { description: 'No such request' } },
      handle: async ({ params }) => ({ status: 200, body: await getRequest(deps.db, params.id) }),
    }),
  ];
}
