import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import type { CapabilityCatalog } from '../capabilities/capability-catalog';
import type { SlotDispatcher } from '../capabilities/slot-dispatcher';
import { webhookSecretFor } from '../notifications/webhook-signature';
import type { Logger } from '../observability/logger';
import { HttpProblem, problemTypes } from './problem';
import { checkReadiness } from './readiness';
import { defineRoute, type RouteSpec } from './routing';
import {
  awaitingQaList,
  awaitingQaQuery,
  cancelBody,
  cancelResult,
  capabilityList,
  capabilityNameParams,
  capabilitySettingsBody,
  capabilityView,
  healthStatus,
  notificationHistory,
  webhookSecret,
  qaDecisionBody,
  qaDecisionResult,
  listRequestsQuery,
  newVersionBody,
  proofingStatus,
  productList,
  versionParams,
  confirmRegistrationBody,
  rejectRegistrationBody,
  registrationView,
  transactionIdParams,
  readiness,
  retryBody,
  startedExecution,
  requestIdParams,
  requestList,
  requestView,
  submitRequestBody,
  submittedRequest,
} from './schemas';
import { listAwaitingQaPage } from './use-cases/awaiting-qa';
import type { ProofingApiDeps } from './use-cases/proofing';
import { changeSettings, describeCapability, findDescribed } from './use-cases/capability-settings';
import { getNotificationHistory, getRequest, listRequestPage } from './use-cases/read-requests';
import { listVersionProducts } from './products';
import { getProofingStatus } from './use-cases/proofing';
import { decideRegistration, getRegistration } from './use-cases/registration-callbacks';
import { addVersion, cancelRequest, decideQa, retryRequest } from './use-cases/steer-request';
import { submitRequest } from './use-cases/submit-request';

export interface RouteDeps extends ProofingApiDeps {
  catalog: CapabilityCatalog;
  slots: SlotDispatcher;
  db: Pool;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
  webhookSigningKey: string;
  updateTimeoutMs?: number;
}

const readers = ['submitter', 'reviewer', 'operator'] as const;

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
      summary: 'Submit a capability request (document_upload: multipart/form-data with "capability", "parameters" (JSON) and "file")',
      tags: ['requests'],
      roles: ['submitter', 'operator'],
      body: submitRequestBody,
      idempotent: true,
      responses: {
        202: { description: 'Accepted; the request runs as a workflow', schema: submittedRequest },
        ...problems,
        404: { description: 'Unknown capability' },
        409: { description: 'The same Idempotency-Key is still being processed, or the capability is disabled' },
        415: { description: 'The body is not JSON' },
        429: { description: 'Too many identity_proofing attempts for this person in the window (see Retry-After)' },
        503: { description: 'Temporal or PostgreSQL is unreachable; nothing was started (see Retry-After)' },
      },
      handle: async ({ body, principal, idempotencyKey }) => {
        if (body.capability === 'document_upload') {
          throw new HttpProblem(422, 'Request is invalid', 'file: document_upload takes multipart/form-data with a "file" part and a "parameters" JSON part', {
            type: problemTypes.validation,
            errors: [{ field: 'file', message: 'send multipart/form-data with a "file" part' }],
          });
        }
        const submitted = await submitRequest(deps, {
          capability: body.capability,
          parameters: body.parameters,
          ...(body.callbackUrl ? { callbackUrl: body.callbackUrl } : {}),
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
      roles: readers,
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
      roles: readers,
      params: requestIdParams,
      responses: { 200: { description: 'The request', schema: requestView }, ...problems, 404: { description: 'No such request' } },
      handle: async ({ params }) => ({ status: 200, body: await getRequest(deps.db, params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/requests/:id/notifications',
      operationId: 'getNotifications',
      summary: 'What the request told whom: callback deliveries and e-mails, each once per transition',
      tags: ['requests'],
      roles: readers,
      params: requestIdParams,
      responses: { 200: { description: 'Delivery history', schema: notificationHistory }, ...problems, 404: { description: 'No such request' } },
      handle: async ({ params }) => ({ status: 200, body: await getNotificationHistory(deps.db, params.id) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/requests/:id/versions/:version/products',
      operationId: 'listProducts',
      summary: 'The products a version staged for QA (name, size, SHA-256, download link), for the reviewer to inspect before deciding',
      tags: ['qa'],
      roles: readers,
      params: versionParams,
      responses: { 200: { description: 'The staged products', schema: productList }, ...problems, 404: { description: 'No such request' } },
      handle: async ({ params }) => ({ status: 200, body: await listVersionProducts(deps.db, params.id, params.version) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/requests/:id/proofing',
      operationId: 'getProofingStatus',
      summary: 'An identity_proofing request as its client polls it: none | in_progress | done (with the result) | missing (expired or discarded: submit again)',
      tags: ['requests'],
      roles: ['submitter', 'operator'],
      params: requestIdParams,
      responses: { 200: { description: 'The status', schema: proofingStatus }, ...problems, 404: { description: 'No such identity_proofing request' } },
      handle: async ({ params, principal }) => ({ status: 200, body: await getProofingStatus(deps, params.id, principal!) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/registrations/:transactionId/confirm',
      operationId: 'confirmRegistration',
      summary: 'The country configuration confirms a registration (again: the same answer; after a rejection: 409)',
      tags: ['registrations'],
      roles: ['integration'],
      params: transactionIdParams,
      body: confirmRegistrationBody,
      responses: { 200: { description: 'Confirmed', schema: registrationView }, ...problems, 404: { description: 'Unknown transaction' }, 409: { description: 'Already rejected, or confirmed with another number' } },
      handle: async ({ params, body, principal }) => ({ status: 200, body: await decideRegistration(deps, params.transactionId, principal!, { kind: 'confirmed', ...body }) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/registrations/:transactionId/reject',
      operationId: 'rejectRegistration',
      summary: 'The country configuration rejects a registration, with its reason (after a confirmation: 409)',
      tags: ['registrations'],
      roles: ['integration'],
      params: transactionIdParams,
      body: rejectRegistrationBody,
      responses: { 200: { description: 'Rejected', schema: registrationView }, ...problems, 404: { description: 'Unknown transaction' }, 409: { description: 'Already confirmed' } },
      handle: async ({ params, body, principal }) => ({ status: 200, body: await decideRegistration(deps, params.transactionId, principal!, { kind: 'rejected', ...body }) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/registrations/:transactionId',
      operationId: 'getRegistration',
      summary: 'A registration by its client transaction id',
      tags: ['registrations'],
      roles: ['submitter', 'operator', 'integration'],
      params: transactionIdParams,
      responses: { 200: { description: 'The registration', schema: registrationView }, ...problems, 404: { description: 'Unknown transaction' } },
      handle: async ({ params }) => ({ status: 200, body: await getRegistration(deps.db, params.transactionId) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/webhook-secret',
      operationId: 'getWebhookSecret',
      summary: 'The secret your callback events are signed with (X-Capflow-Signature: t=…,v1=HMAC-SHA256(secret, t + "." + body))',
      tags: ['requests'],
      roles: ['submitter', 'operator'],
      responses: { 200: { description: 'Your key’s webhook secret', schema: webhookSecret }, ...problems },
      handle: async ({ principal }) => ({ status: 200, body: { secret: webhookSecretFor(deps.webhookSigningKey, principal!.id) } }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/requests/:id/qa',
      operationId: 'decideQa',
      summary: 'Pass or fail a version awaiting QA (a Temporal Update: answers once applied). Passing one fails the others and seals the request',
      tags: ['qa'],
      roles: ['reviewer'],
      params: requestIdParams,
      body: qaDecisionBody,
      idempotent: true,
      responses: {
        200: { description: 'Decision applied; `state` is where the version went', schema: qaDecisionResult },
        ...problems,
        404: { description: 'No such request, or no such version' },
        409: { description: 'Not awaiting QA, already decided, another version passed, or cancelled' },
        422: { description: 'A field is invalid, or several versions await QA and `version` is missing' },
      },
      handle: async ({ params, body, principal }) => ({ status: 200, body: await decideQa(deps, params.id, principal!, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/requests/:id/versions',
      operationId: 'addVersion',
      summary: 'Re-run the request with edited parameters as a new version (its submitter or an operator)',
      tags: ['requests'],
      roles: ['submitter', 'operator'],
      params: requestIdParams,
      body: newVersionBody,
      idempotent: true,
      responses: {
        201: { description: 'The version was added and its first execution started', schema: startedExecution },
        ...problems,
        404: { description: 'No such request' },
        409: { description: 'The request is sealed (a version passed QA or completed, cancelled, closed) or the capability runs one version only' },
      },
      handle: async ({ params, body, principal }) => {
        const started = await addVersion(deps, params.id, principal!, body);
        return { status: 201, body: started, location: started.links.request };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/requests/:id/retry',
      operationId: 'retryRequest',
      summary: 'Re-run a failed version as a new execution (operators); a version that passed QA re-runs its ingestion',
      tags: ['requests'],
      roles: ['operator'],
      params: requestIdParams,
      body: retryBody,
      idempotent: true,
      responses: {
        202: { description: 'A new execution of the version started', schema: startedExecution },
        ...problems,
        404: { description: 'No such request, or no such version' },
        409: { description: 'The version has not failed, failed QA (add a version instead), or the request is sealed, cancelled or closed' },
      },
      handle: async ({ params, body, principal }) => ({ status: 202, body: await retryRequest(deps, params.id, principal!, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/requests/:id/cancel',
      operationId: 'cancelRequest',
      summary: 'Cancel a request; a running execution step is cancelled too',
      tags: ['requests'],
      roles: ['submitter', 'operator'],
      params: requestIdParams,
      body: cancelBody,
      idempotent: true,
      responses: {
        200: { description: 'Cancelled', schema: cancelResult },
        ...problems,
        404: { description: 'No such request' },
        409: { description: 'Already ended, already cancelled, or in a state that cannot be cancelled' },
      },
      handle: async ({ params, body, principal }) => ({ status: 200, body: await cancelRequest(deps, params.id, principal!, body) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/qa',
      operationId: 'listAwaitingQa',
      summary: 'Requests awaiting a QA decision, oldest first',
      tags: ['qa'],
      roles: ['reviewer', 'operator'],
      query: awaitingQaQuery,
      responses: { 200: { description: 'A page of requests awaiting QA', schema: awaitingQaList }, ...problems },
      handle: async ({ query }) => ({ status: 200, body: await listAwaitingQaPage(deps.db, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/capabilities',
      operationId: 'listCapabilities',
      summary: 'Every capability with its definition, text legend and Mermaid diagram',
      tags: ['capabilities'],
      roles: [...readers, 'integration'],
      responses: { 200: { description: 'The capabilities', schema: capabilityList }, ...problems },
      handle: async () => ({ status: 200, body: { items: await Promise.all(deps.catalog.list().map((c) => describeCapability(deps, c))) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/capabilities/:name',
      operationId: 'getCapability',
      summary: 'One capability with its definition, text legend and Mermaid diagram',
      tags: ['capabilities'],
      roles: [...readers, 'integration'],
      params: capabilityNameParams,
      responses: { 200: { description: 'The capability', schema: capabilityView }, ...problems, 404: { description: 'No such capability' } },
      handle: async ({ params }) => ({ status: 200, body: await findDescribed(deps, params.name) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/capabilities/:name',
      operationId: 'changeCapabilitySettings',
      summary: 'Change a capability’s queue: maxConcurrent, enabled, paused',
      tags: ['capabilities'],
      roles: ['operator'],
      params: capabilityNameParams,
      body: capabilitySettingsBody,
      responses: { 200: { description: 'The capability with its new settings', schema: capabilityView }, ...problems, 404: { description: 'No such capability' } },
      handle: async ({ params, body, principal }) => ({ status: 200, body: await changeSettings(deps, params.name, principal!, body) }),
    }),
  ];
}
