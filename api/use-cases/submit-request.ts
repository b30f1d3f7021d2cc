import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { enqueue, ensureSettings } from '../../db/capability-queue';
import { insertRegistration } from '../../db/registrations';
import { insertRequest } from '../../db/requests';
import { isDatabaseUnavailable } from '../../db/pool';
import type { Logger } from '../../observability/logger';
import type { CapabilityCatalog } from '../../capabilities/capability-catalog';
import type { CapabilityRequestInput } from '../../workflows/capability-request';
import { executionWorkflowId, requestWorkflowId } from '../../workflows/ids';
import { capabilityNameKey, capabilityStateKey, requestIdKey } from '../../workflows/search-attributes';
import type { Principal } from '../auth';
import { HttpProblem, notFound, problemTypes, serviceUnavailable, validationProblem } from '../problem';
import { isTemporalUnavailable } from '../temporal-errors';
import { protectParameters } from '../../pii/protected-parameters';
import type { IdentityParameters } from '../../capabilities/capability-parameters';
import { admitProofingAttempt, type ProofingApiDeps } from './proofing';

export interface SubmitDeps extends ProofingApiDeps {
  catalog: CapabilityCatalog;
  db: Pool;
  temporal: Client;
  taskQueue: string;
  logger: Logger;
}

export interface SubmitCommand {
  capability: string;
  parameters: Record<string, unknown>;
  principal: Principal;
  idempotencyKey?: string;
  callbackUrl?: string;
  /** Chosen by the caller when something was stored under it first (an uploaded file). */
  requestId?: string;
}

/** The request id: from the Idempotency-Key when there is one (so a repeat names the same request), else new. */
export function requestIdFor(principal: Principal, idempotencyKey: string | undefined): string {
  return idempotencyKey ? uuidFrom(`${principal.id}\n${idempotencyKey}`) : randomUUID();
}

/**
 * Starts one capability request. The workflow id is derived from the request id, and the request
 * id from the Idempotency-Key when there is one, so repeating the call — even concurrently —
 * never starts a second request.
 */
export async function submitRequest(deps: SubmitDeps, command: SubmitCommand) {
  const definition = deps.catalog.find(command.capability)?.definition;
  const parameterSchema = deps.catalog.parametersOf(command.capability);
  if (!definition || !parameterSchema) throw notFound(`capability "${command.capability}" does not exist`, 'capability');
  const parsed = parameterSchema.safeParse(command.parameters);
  if (!parsed.success) throw validationProblem(parsed.error.issues, 'parameters');

  // Without the read model there is nothing to show the client: refuse before starting anything.
  const settings = await ensureSettings(deps.db, definition.name, definition.queue.maxConcurrent).catch((err: unknown) => {
    throw isDatabaseUnavailable(err) ? serviceUnavailable('database') : err;
  });
  if (!settings.enabled) {
    throw new HttpProblem(409, 'Capability disabled', `capability "${definition.name}" is disabled by an operator; nothing was started`, {
      type: problemTypes.conflict,
      errors: [{ field: 'capability', message: 'disabled' }],
    });
  }

  // A registration is named by its client transaction: the same transaction is the same request.
  const transactionId = definition.name === 'registration' ? String((parsed.data as { transactionId: string }).transactionId) : undefined;
  const requestId = command.requestId ?? (transactionId ? uuidFrom(`registration\n${transactionId}`) : requestIdFor(command.principal, command.idempotencyKey));
  const workflowId = requestWorkflowId(requestId);
  // Version 1 runs first as this child workflow; it holds the request's place in the queue.
  const firstExecutionWorkflowId = executionWorkflowId(requestId, 1, 1);
  const submittedAt = new Date();
  // Identity proofing is limited per person; an attempt that does not start is not counted.
  const takeBackAttempt = definition.name === 'identity_proofing' ? await admitProofingAttempt(deps, requestId, parsed.data as IdentityParameters) : undefined;
  const input: CapabilityRequestInput = {
    requestId,
    ...(command.callbackUrl ? { callbackUrl: command.callbackUrl } : {}),
    definition,
    parameters: parsed.data,
    submittedBy: command.principal.id,
    submittedAt: submittedAt.toISOString(),
  };

  try {
    await deps.temporal.connection.withDeadline(Date.now() + 5_000, () =>
      deps.temporal.workflow.start('capabilityRequest', {
        taskQueue: deps.taskQueue,
        workflowId,
        args: [input],
        // A finished request is never re-run under the same id.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // What the Web UI list shows for the request; ids and names only, never parameters.
        staticSummary: `${definition.name} request ${requestId}`,
        staticDetails: `Capability **${definition.name}** (${definition.template}), submitted by ${command.principal.id} at ${submittedAt.toISOString()}.`,
        typedSearchAttributes: [
          { key: capabilityNameKey, value: definition.name },
          { key: capabilityStateKey, value: definition.initial },
          { key: requestIdKey, value: requestId },
        ],
      }),
    );
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
      await takeBackAttempt?.().catch(() => undefined);
      throw isTemporalUnavailable(err) ? serviceUnavailable('temporal') : err;
    }
  }

  // The workflow registers itself too; this write only makes the request readable at once.
  await insertRequest(deps.db, {
    id: requestId,
    workflowId,
    firstExecutionWorkflowId,
    capability: definition.name,
    parameters: protectParameters(deps.payloadKeys, definition.sensitiveParameters ?? false, parsed.data),
    submittedBy: command.principal.id,
    submittedAt,
  })
    .then(() => (transactionId ? insertRegistration(deps.db, { transactionId, requestId, initiatedBy: command.principal.id }) : undefined))
    .catch((err: unknown) => deps.logger.warn({ err, requestId }, 'read model insert deferred to the workflow'));
  // Take the request's place in its capability's queue now, so slots go in submission order;
  // the workflow's QueueWorkflow finds the place kept (or takes it, if this write failed).
  await enqueue(deps.db, { holder: firstExecutionWorkflowId, capability: definition.name, requestId, workflowId: firstExecutionWorkflowId, queuedSince: submittedAt }).catch((err: unknown) =>
    deps.logger.warn({ err, requestId }, 'queue entry deferred to the workflow'),
  );

  return { id: requestId, workflowId, capability: definition.name, links: { self: `/v1/requests/${requestId}` } };
}

/** A name-based UUID (RFC 9562 version 8) so the same input always names the same request. */
export function uuidFrom(name: string): string {
  const bytes = createHash('sha256').update(name).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
