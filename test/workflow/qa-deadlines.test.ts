import type { CapabilityDefinition } from '../../workflows/capability-model';
import { qaDecisionUpdate } from '../../workflows/messages';
import { env, fakeActivities, reach, useTimeSkippingEnvironment, withQa, withWorkflow } from '../support/interpreter-harness';

useTimeSkippingEnvironment();

describe('QA deadlines (time-skipping)', () => {
  const HOUR = 60 * 60 * 1000;
  const withDeadlines = (onDeadline: 'fail' | 'keep-waiting'): CapabilityDefinition => ({
    ...withQa,
    qa: { ingestStep: 'null', deadlines: { reminderAfterMs: HOUR, escalateAfterMs: 2 * HOUR, deadlineMs: 3 * HOUR, onDeadline } },
  });

  it('reminds the reviewers, escalates to operators, then fails with "QA deadline passed"', async () => {
    const fake = fakeActivities();
    const result = await withWorkflow(withDeadlines('fail'), fake, async (h) => {
      await reach(h, 'AwaitingQa');
      return h.result(); // the test server skips the hours
    });
    expect(result).toEqual({ state: 'Failed', error: 'QA deadline passed' });
    expect(fake.notified).toEqual(['qa-announce', 'qa-reminder', 'qa-escalation']);
    expect(fake.recorded.at(-1)).toMatchObject({ from: 'AwaitingQa', event: 'qa-fail', to: 'Failed', actor: 'capflow', details: { comment: 'QA deadline passed' } });
    expect(fake.decisions).toEqual([expect.objectContaining({ decision: 'fail', reviewer: 'capflow', comment: 'QA deadline passed' })]);
  });

  it('keep-waiting: escalates again and again until someone decides', async () => {
    const fake = fakeActivities();
    const result = await withWorkflow(withDeadlines('keep-waiting'), fake, async (h) => {
      await reach(h, 'AwaitingQa');
      await env.sleep(7 * HOUR + 1_000); // deadline at 3 h, then every 2 h: escalations at 2, 3, 5 and 7 h
      await h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'pass', reviewer: 'reviewer:late' }] });
      return h.result();
    });
    expect(result.state).toBe('Complete');
    expect(fake.notified.filter((t) => t === 'qa-reminder')).toHaveLength(1);
    expect(fake.notified.filter((t) => t === 'qa-escalation')).toHaveLength(4);
  });

  it('a decision in time stops the clock', async () => {
    const fake = fakeActivities();
    await withWorkflow(withDeadlines('fail'), fake, async (h) => {
      await reach(h, 'AwaitingQa');
      await env.sleep(HOUR + 1_000);
      await h.executeUpdate(qaDecisionUpdate, { args: [{ decision: 'pass', reviewer: 'reviewer:r' }] });
      expect((await h.result()).state).toBe('Complete');
    });
    expect(fake.notified).toEqual(['qa-announce', 'qa-reminder', 'workflow-complete']);
  });
});

