import { ApplicationFailure } from '@temporalio/common';
import type { CapabilityDefinition } from '../../workflows/capability-model';
import { addVersionUpdate, cancelRequestUpdate, qaDecisionUpdate, requestOverviewQuery, retryExecutionUpdate } from '../../workflows/messages';
import { blockingStep, fakeActivities, path, reachVersion, rejectionOf, runOnly, useTimeSkippingEnvironment, withQa, withRequest } from '../support/interpreter-harness';

/** A request's versions and executions: the request workflow with its executions as children. */
useTimeSkippingEnvironment();

const ofVersion = (fake: ReturnType<typeof fakeActivities>, version: number, execution = 1) =>
  path(fake.recorded.filter((t) => t.version === version && t.execution === execution));

describe('versions', () => {
  it('three versions await QA; passing one fails the other two, completes and seals the request', async () => {
    const fake = fakeActivities();
    const result = await withRequest(withQa, fake, async (h) => {
      await reachVersion(h, 1, 'AwaitingQa');
      const v2 = await h.executeUpdate(addVersionUpdate, { args: [{ actor: 'submitter:test', parameters: { attempt: 2 } }] });
      expect(v2).toEqual({ version: 2, execution: 1, workflowId: `${h.workflowId}/v2/e1` });
      await h.executeUpdate(addVersionUpdate, { args: [{ actor: 'operator:o', parameters: { attempt: 3 } }] });
      await reachVersion(h, 2, 'AwaitingQa');
      await reachVersion(h, 3, 'AwaitingQa');

      // Three versions await QA: a decision must say which.
      expect(await rejectionOf(h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'pass', reviewer: 'reviewer:r' }] }))).toBe('VersionRequired');
      expect(await rejectionOf(h.executeUpdate(qaDecisionUpdate, { args: [{ version: 9, decision: 'pass', reviewer: 'reviewer:r' }] }))).toBe('UnknownVersion');

      const passed = await h.executeUpdate(qaDecisionUpdate, { args: [{ version: 2, decision: 'pass', reviewer: 'reviewer:r', comment: 'the good one' }] });
      expect(passed).toEqual({ version: 2, decision: 'pass', state: 'Ingesting' });
      expect(await rejectionOf(h.executeUpdate(qaDecisionUpdate, { args: [{ version: 1, decision: 'pass', reviewer: 'reviewer:r' }] }))).toBe('QaAlreadyDecided');
      return h.result();
    });

    expect(result).toEqual({ state: 'Complete' });
    expect(ofVersion(fake, 2).at(-1)).toBe('Ingesting -workflow-complete-> Complete');
    for (const other of [1, 3]) {
      expect(fake.recorded.filter((t) => t.version === other).at(-1)).toMatchObject({
        from: 'AwaitingQa',
        event: 'qa-fail',
        to: 'Failed',
        actions: ['QaFail'],
        actor: 'capflow',
        details: { decision: 'fail', comment: 'version 2 passed QA' },
      });
    }
    expect(fake.decisions.map((d) => [d.version, d.decision]).sort()).toEqual([
      [1, 'fail'],
      [2, 'pass'],
      [3, 'fail'],
    ]);
    expect(fake.events.map((e) => [e.type, e.version ?? null, e.actor])).toEqual([
      ['version-added', 1, 'submitter:test'],
      ['version-added', 2, 'submitter:test'],
      ['version-added', 3, 'operator:o'],
      ['sealed', null, 'capflow'],
    ]);
    // Each version ran with its own parameters; only the winner was ingested.
    expect(fake.stepCalls.filter((c) => c.kind === 'ingestion').map((c) => c.version)).toEqual([2]);
  });

  it('a sealed request refuses new versions; a capability that runs one version refuses them always', async () => {
    await withRequest(withQa, fakeActivities(), async (h) => {
      await reachVersion(h, 1, 'AwaitingQa');
      await h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'pass', reviewer: 'reviewer:r' }] });
      expect(await rejectionOf(h.executeUpdate(addVersionUpdate, { args: [{ actor: 'submitter:test', parameters: {} }] }))).toBe('RequestSealed');
      expect((await h.query(requestOverviewQuery)).sealed).toBe(true);
      await h.result(); // leave nothing running: time only skips on an idle server
    });
    const single: CapabilityDefinition = { ...runOnly, versions: { ...runOnly.versions, singleVersionOnly: true } };
    await withRequest(single, fakeActivities({ step: blockingStep }), async (h) => {
      await reachVersion(h, 1, 'Executing');
      expect(await rejectionOf(h.executeUpdate(addVersionUpdate, { args: [{ actor: 'submitter:test', parameters: {} }] }))).toBe('SingleVersionOnly');
      await h.executeUpdate(cancelRequestUpdate, { args: [{ actor: 'submitter:test', reason: 'done' }] });
      await h.result();
    });
  });

  it('every version failed: the request is Failed, open for a new version until its retry window passes', async () => {
    const fake = fakeActivities();
    // A short window: the test server would skip a week too, but only while nothing else runs on it.
    const shortWindow: CapabilityDefinition = { ...withQa, versions: { ...withQa.versions, retryWindowMs: 3_000 } };
    const result = await withRequest(shortWindow, fake, async (h) => {
      await reachVersion(h, 1, 'AwaitingQa');
      expect(await h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'fail', reviewer: 'reviewer:r' }] })).toMatchObject({ version: 1, state: 'Failed' });
      await h.executeUpdate(addVersionUpdate, { args: [{ actor: 'submitter:test', parameters: { fixed: true } }] });
      await reachVersion(h, 2, 'AwaitingQa');
      await h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'fail', reviewer: 'reviewer:r' }] });
      expect(await h.query(requestOverviewQuery)).toMatchObject({ state: 'Failed', sealed: false });
      return h.result();
    });
    expect(result.state).toBe('Failed');
    expect(fake.events.map((e) => e.type)).toEqual(['version-added', 'version-added', 'closed']);
  });

  it('cancelling the request cancels every running version', async () => {
    const fake = fakeActivities({ step: blockingStep });
    const result = await withRequest(runOnly, fake, async (h) => {
      await reachVersion(h, 1, 'Executing');
      await h.executeUpdate(addVersionUpdate, { args: [{ actor: 'submitter:test', parameters: {} }] });
      await reachVersion(h, 2, 'Executing');
      expect(await h.executeUpdate(cancelRequestUpdate, { args: [{ actor: 'operator:o', reason: 'wrong data' }] })).toEqual({ state: 'Cancelled' });
      return h.result();
    });
    expect(result).toEqual({ state: 'Cancelled' });
    for (const version of [1, 2]) {
      expect(fake.recorded.filter((t) => t.version === version).at(-1)).toMatchObject({ event: 'cancel', to: 'Cancelled', actor: 'operator:o', details: { reason: 'wrong data' } });
    }
    expect(fake.events.map((e) => [e.type, e.actor])).toContainEqual(['cancel-requested', 'operator:o']);
  });
});

describe('operator retry', () => {
  const failsFirstTime = () => {
    let calls = 0;
    return async ({ kind }: { kind: string }) => {
      calls += 1;
      if (calls === 1) throw ApplicationFailure.create({ type: 'VendorDown', message: `${kind} failed`, nonRetryable: true });
      return {};
    };
  };

  it('re-runs a failed execution step as a new execution of the same version', async () => {
    const fake = fakeActivities({ step: failsFirstTime() });
    const result = await withRequest(runOnly, fake, async (h) => {
      await reachVersion(h, 1, 'Failed');
      expect(await rejectionOf(h.executeUpdate(retryExecutionUpdate, { args: [{ actor: 'operator:o', version: 2 }] }))).toBe('UnknownVersion');
      const retried = await h.executeUpdate(retryExecutionUpdate, { args: [{ actor: 'operator:o', reason: 'vendor is back' }] });
      expect(retried).toEqual({ version: 1, execution: 2, workflowId: `${h.workflowId}/v1/e2` });
      return h.result();
    });
    expect(result).toEqual({ state: 'Complete' });
    expect(ofVersion(fake, 1, 1).at(-1)).toBe('Executing -workflow-failed-> Failed');
    expect(ofVersion(fake, 1, 2)).toEqual(['Start -capability-submitted-> Queued', 'Queued -resume-> Executing', 'Executing -workflow-complete-> Complete']);
    expect(fake.recorded.find((t) => t.execution === 2)!.actor).toBe('operator:o');
    expect(fake.events.map((e) => [e.type, e.actor, e.details])).toEqual([
      ['version-added', 'submitter:test', {}],
      ['retry-requested', 'operator:o', { reason: 'vendor is back' }],
      ['execution-started', 'operator:o', {}],
      ['sealed', 'capflow', { reason: 'version 1 completed' }],
    ]);
  });

  it('a version that passed QA and failed to ingest re-runs its ingestion only; a QA failure is not retried', async () => {
    let ingestions = 0;
    const fake = fakeActivities({
      step: async ({ kind }) => {
        if (kind === 'ingestion' && ++ingestions === 1) throw ApplicationFailure.create({ type: 'ArchiveDown', message: 'archive refused', nonRetryable: true });
        return {};
      },
    });
    const result = await withRequest(withQa, fake, async (h) => {
      await reachVersion(h, 1, 'AwaitingQa');
      await h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'pass', reviewer: 'reviewer:r', comment: 'fine' }] });
      await reachVersion(h, 1, 'Failed');
      await h.executeUpdate(retryExecutionUpdate, { args: [{ actor: 'operator:o' }] });
      return h.result();
    });
    expect(result).toEqual({ state: 'Complete' });
    expect(ofVersion(fake, 1, 2)).toEqual(['AwaitingQa -qa-pass-> Ingesting', 'Ingesting -workflow-complete-> Complete']);
    expect(fake.recorded.find((t) => t.execution === 2)).toMatchObject({ actor: 'reviewer:r', details: { comment: 'fine', retry: true } });
    expect(fake.stepCalls.map((c) => c.kind)).toEqual(['execution', 'ingestion', 'ingestion']);

    await withRequest(withQa, fakeActivities(), async (h) => {
      await reachVersion(h, 1, 'AwaitingQa');
      await h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'fail', reviewer: 'reviewer:r' }] });
      expect(await rejectionOf(h.executeUpdate(retryExecutionUpdate, { args: [{ actor: 'operator:o' }] }))).toBe('NotRetryable');
      await h.terminate();
    });
  });
});
