import { z } from 'zod';
import { events, states } from '../workflows/capability-model';

export const submitRequestBody = z
  .strictObject({
    capability: z.string().min(1).max(100).describe('Name of the capability to run, e.g. "null"'),
    parameters: z.record(z.string(), z.unknown()).default({}).describe("The capability's parameters"),
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
  seq: z.int(),
  from: z.enum(states),
  event: z.enum(events),
  to: z.enum(states),
  actions: z.array(z.string()),
  error: z.string().nullable(),
  occurredAt: z.iso.datetime(),
});

export const requestView = z.object({
  id: z.uuid(),
  workflowId: z.string(),
  capability: z.string(),
  state: z.enum(states),
  parameters: z.record(z.string(), z.unknown()),
  submittedBy: z.string(),
  submittedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  transitions: z.array(transitionView),
});

export const listRequestsQuery = z.strictObject({
  capability: z.string().min(1).optional(),
  state: z.enum(states).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().optional().describe('`nextCursor` of the previous page'),
});

export const requestSummary = requestView.omit({ transitions: true, parameters: true });

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
