import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ActionSpec, CapabilityDefinition } from '../../workflows/capability-model';
import { cancelRequestUpdate, qaDecisionSignal, qaDecisionUpdate } from '../../workflows/messages';
import { blockingStep, fakeActivities, path, reach, rejectionOf, runOnly, useTimeSkippingEnvironment, withQa, withWorkflow } from '../support/interpreter-harness';

/** Every transition of both templates, driven through one execution (the interpreter alone) with fake activities. */
useTimeSkippingEnvironment();

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
    expect(fake.stepCalls).toEqual([{ kind: 'execution', step: 'null', version: 1 }]);
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
      { kind: 'execution', step: 'null', version: 1 },
      { kind: 'ingestion', step: 'null', version: 1 },
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
    expect(fake.recorded.filter((t) => t.event === 'qa-pass' || t.event === 'qa-fail')).toHaveLength(1);
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

