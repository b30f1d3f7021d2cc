import { z } from 'zod';
import { events, states } from '../workflows/capability-model';

export const submitRequestBody = z
  .strictObject({
    capability: z.string().min(1).max(100).describe('Name of the capability to run, e.g. "null"'),
    parameters: z.record(z.string(), z.unknown()).default({}).describe("The capability's parameters"),
    callbackUrl: z.url({ protocol: /^https?$/ }).max(2000).optional().describe('Where to POST signed events about this request (see GET /v1/webhook-secret)'),
  })
  .describe('A new capability request');

export const requestIdParams = z.strictObject({ id: z.uuid() });

export const submittedRequest = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  capability: z.string(),
  links: z.object({ self: z.string() }),
});

export const transitionView = z.object({
  version: z.int(),
  execution: z.int(),
  seq: z.int().describe('Order within its execution'),
  from: z.enum(states),
  event: z.enum(events),
  to: z.enum(states),
  actions: z.array(z.string()),
  actor: z.string().describe('Who caused it: a key fingerprint, or "capflow" for the engine'),
  details: z.record(z.string(), z.unknown()).describe('What the actor said: QA decision and comment, cancel reason'),
  error: z.string().nullable(),
  occurredAt: z.iso.datetime(),
});

export const qaReviewView = z.object({
  version: z.int(),
  announcedAt: z.iso.datetime(),
  decision: z.enum(['pass', 'fail']).nullable(),
  reviewer: z.string().nullable(),
  comment: z.string().nullable(),
  decidedAt: z.iso.datetime().nullable(),
});

export const executionView = z.object({
  execution: z.int(),
  workflowId: z.string().describe('The child workflow running it: <request workflow id>/v<version>/e<execution>'),
  state: z.enum(states),
  error: z.string().nullable(),
  current: z.boolean().describe("The version's latest execution"),
  startedBy: z.string(),
  startedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

export const versionView = z.object({
  version: z.int(),
  state: z.enum(states).describe("The state of the version's current execution"),
  current: z.boolean().describe('The version the request is about: the winner, else the newest still running, else the newest'),
  parameters: z.record(z.string(), z.unknown()),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
  executions: z.array(executionView),
});

export const requestEventView = z.object({
  seq: z.int(),
  type: z.enum(['version-added', 'execution-started', 'retry-requested', 'cancel-requested', 'sealed', 'closed']),
  version: z.int().nullable(),
  execution: z.int().nullable(),
  actor: z.string(),
  details: z.record(z.string(), z.unknown()),
  occurredAt: z.iso.datetime(),
});

export const requestView = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  capability: z.string(),
  state: z.enum(states),
  sealed: z.boolean().describe('No new version can be added: one passed QA or completed, or the request was cancelled or closed'),
  currentVersion: z.int(),
  parameters: z.record(z.string(), z.unknown()).describe('As submitted (version 1)'),
  submittedBy: z.string(),
  submittedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  versions: z.array(versionView),
  events: z.array(requestEventView).describe('The audit trail of the request as a whole: versions, retries, cancels, sealing, each with its actor'),
  transitions: z.array(transitionView).describe('The audit trail of every execution'),
  qa: z.array(qaReviewView),
  registration: z.lazy(() => registrationView).optional().describe('registration requests: the outcome the country configuration gave'),
});

export const listRequestsQuery = z.strictObject({
  capability: z.string().min(1).optional(),
  state: z.enum(states).optional(),
  submittedBy: z.string().min(1).optional().describe('Submitter key fingerprint, e.g. "submitter:3f2a9c0d1e2b"'),
  submittedAfter: z.iso.datetime({ offset: true }).optional().describe('Inclusive'),
  submittedBefore: z.iso.datetime({ offset: true }).optional().describe('Exclusive'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().describe('`nextCursor` of the previous page'),
});

export const requestSummary = requestView.omit({ transitions: true, parameters: true, qa: true, versions: true, events: true });

export const requestList = z.object({
  items: z.array(requestSummary),
  nextCursor: z.string().nullable(),
});

export const healthStatus = z.object({ status: z.literal('ok') });

export const readiness = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ database: z.string(), temporal: z.string() }),
});

export type SubmitRequestBody = z.infer<typeof submitRequestBody>;

export const qaDecisionBody = z.strictObject({
  version: z.int().min(1).optional().describe('The version decided; may be left out while only one version awaits QA'),
  decision: z.enum(['pass', 'fail']),
  comment: z.string().max(2000).optional(),
});

export const qaDecisionResult = z.object({
  id: z.uuid(),
  version: z.int(),
  decision: z.enum(['pass', 'fail']),
  state: z.enum(states).describe('Where the decided version went'),
});

export const newVersionBody = z
  .strictObject({ parameters: z.record(z.string(), z.unknown()).default({}).describe("The capability's parameters for this version") })
  .describe('A new version of the request, run at once');

export const retryBody = z.strictObject({
  version: z.int().min(1).optional().describe('The version to re-run; by default the current one'),
  reason: z.string().min(1).max(500).optional().describe('Why; kept in the audit trail'),
});

export const startedExecution = z.object({
  id: z.uuid(),
  version: z.int(),
  execution: z.int(),
  workflowId: z.string(),
  links: z.object({ request: z.string() }),
});

export const cancelBody = z.strictObject({
  reason: z.string().min(1).max(500).describe('Why; kept in the audit trail'),
});

export const cancelResult = z.object({ id: z.uuid(), state: z.enum(states) });

export const awaitingQaQuery = z.strictObject({
  capability: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().describe('`nextCursor` of the previous page'),
});

export const awaitingQaList = z.object({
  items: z.array(
    z.object({
      id: z.uuid(),
      capability: z.string(),
      version: z.int(),
      announcedAt: z.iso.datetime(),
      links: z.object({ request: z.string(), decide: z.string() }),
    }),
  ),
  nextCursor: z.string().nullable(),
});

const definitionView = z.object({
  name: z.string(),
  description: z.string(),
  template: z.enum(['run', 'run-with-qa']),
  step: z.string(),
  initial: z.enum(states),
  transitions: z.array(z.object({ from: z.enum(states), event: z.enum(events), actions: z.array(z.string()), to: z.enum(states) })),
  qa: z
    .object({
      ingestStep: z.string(),
      deadlines: z.object({ reminderAfterMs: z.int(), escalateAfterMs: z.int(), deadlineMs: z.int(), onDeadline: z.enum(['fail', 'keep-waiting']) }).optional(),
    })
    .optional(),
  queue: z.object({ maxConcurrent: z.int() }),
});

export const capabilityView = z.object({
  name: z.string(),
  description: z.string(),
  template: z.enum(['run', 'run-with-qa']),
  definition: definitionView,
  legend: z.string().describe("The source system's text legend, one transition per line"),
  mermaid: z.string().describe('A Mermaid stateDiagram-v2'),
  settings: z.object({
    maxConcurrent: z.int().describe('Executions allowed at once'),
    enabled: z.boolean().describe('When false, new requests are refused with 409'),
    paused: z.boolean().describe('When true, new work stays Queued while running work finishes'),
    updatedAt: z.iso.datetime(),
    updatedBy: z.string().nullable(),
  }),
  queue: z.object({ running: z.int(), waiting: z.int() }),
});

export const capabilitySettingsBody = z
  .strictObject({
    maxConcurrent: z.int().min(1).max(10_000).optional(),
    enabled: z.boolean().optional(),
    paused: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'give at least one of maxConcurrent, enabled, paused' });

export const capabilityList = z.object({ items: z.array(capabilityView) });

export const capabilityNameParams = z.strictObject({ name: z.string().min(1).max(100) });

export const notificationHistory = z.object({
  webhooks: z.array(
    z.object({
      seq: z.int(),
      message: z.string(),
      url: z.string(),
      attempts: z.int(),
      lastStatus: z.int().nullable(),
      lastError: z.string().nullable(),
      createdAt: z.iso.datetime(),
      deliveredAt: z.iso.datetime().nullable(),
    }),
  ),
  emails: z.array(
    z.object({
      seq: z.int(),
      occurrence: z.int().describe('Repeated notices of one transition (escalations) count up from 0'),
      template: z.string(),
      recipient: z.string(),
      subject: z.string(),
      createdAt: z.iso.datetime(),
      sentAt: z.iso.datetime().nullable(),
      lastError: z.string().nullable(),
    }),
  ),
});

export const webhookSecret = z.object({ secret: z.string() });

export const proofingStatus = z.object({
  id: z.uuid(),
  status: z.enum(['none', 'in_progress', 'done', 'missing']),
  result: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('When done: the vendor result {success, errors, exception, timed_out, transaction_id, reference, reason_codes, vendor_name, stages}'),
  reason: z.string().optional().describe('When missing: why (expired, discarded, vendor did not answer); the client may submit again'),
});

export const versionParams = z.strictObject({ id: z.uuid(), version: z.coerce.number().int().min(1) });

export const productList = z.object({
  id: z.uuid(),
  version: z.int(),
  execution: z.int().nullable().describe('The execution whose products these are'),
  products: z.array(z.object({ name: z.string(), size: z.int(), sha256: z.string(), links: z.object({ download: z.string() }) })),
});

export const transactionIdParams = z.strictObject({ transactionId: z.string().regex(/^[A-Za-z0-9._:-]{8,100}$/, 'must be a transaction id') });

export const confirmRegistrationBody = z.strictObject({
  registrationNumber: z.string().min(1).max(100),
  identifiers: z.array(z.strictObject({ type: z.string().min(1).max(50), value: z.string().min(1).max(200) })).max(20).default([]),
  comment: z.string().max(2000).optional(),
});

export const rejectRegistrationBody = z.strictObject({
  reason: z.string().min(1).max(2000),
  comment: z.string().max(2000).optional(),
});

export const registrationView = z.object({
  transactionId: z.string(),
  requestId: z.uuid(),
  state: z.enum(['submitted', 'waiting', 'confirmed', 'rejected']),
  registrationNumber: z.string().nullable(),
  identifiers: z.array(z.object({ type: z.string(), value: z.string() })),
  reason: z.string().nullable(),
  comment: z.string().nullable(),
  decidedBy: z.string().nullable(),
  decidedAt: z.iso.datetime().nullable(),
});
