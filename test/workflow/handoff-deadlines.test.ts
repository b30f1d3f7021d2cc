import { builtInCapabilities } from '../../workflows/capabilities';
import { retryExecutionUpdate, stepOutcomeSignal } from '../../workflows/messages';
import { fakeActivities, path, reachVersion, useTimeSkippingEnvironment, withRequest, withWorkflow } from '../support/interpreter-harness';

/** A step handed to an external system that never answers: reminded, then failed — never stuck. */
useTimeSkippingEnvironment();

const registration = builtInCapabilities.registration!;
// For the operator retry below: deadlines short enough to pass while the test polls.
const quick = { ...registration, handoff: { ...registration.handoff!, reminderAfterMs: 500, deadlineMs: 1_000 } };

it('no answer: the operators are reminded after a day, the request fails after three days with the reason', async () => {
  expect(registration.handoff).toMatchObject({ reminderAfterMs: 86_400_000, deadlineMs: 3 * 86_400_000 });
  const fake = fakeActivities({ step: async () => ({ handedOff: true }) });
  const result = await withWorkflow(registration, fake, (h) => h.result()); // the test server skips the days
  expect(result).toEqual({ state: 'Failed', error: 'country configuration did not respond' });
  expect(fake.notified).toEqual(['handoff-reminder', 'workflow-failed']);
  expect(path(fake.recorded).at(-1)).toBe('Executing -workflow-failed-> Failed');
});

it('an answer before the deadline settles it; one that comes first (before the hand-off is known) is not lost', async () => {
  const fake = fakeActivities({ step: async () => ({ handedOff: true }) });
  const result = await withWorkflow(registration, fake, async (h) => {
    await h.signal(stepOutcomeSignal, { success: true, details: { registrationNumber: 'REG-9' } });
    return h.result();
  });
  expect(result).toEqual({ state: 'Complete' });
  expect(fake.recorded.at(-1)).toMatchObject({ event: 'workflow-complete', details: { registrationNumber: 'REG-9' } });
  expect(fake.notified).not.toContain('handoff-reminder');
});

it('after the deadline an operator retry sends it again as a new execution, which can still settle', async () => {
  let calls = 0;
  const fake = fakeActivities({ step: async () => (++calls === 1 ? { handedOff: true } : { details: { registrationNumber: 'REG-10' } }) });
  const result = await withRequest(quick, fake, async (h) => {
    await reachVersion(h, 1, 'Failed');
    await h.executeUpdate(retryExecutionUpdate, { args: [{ actor: 'operator:o', reason: 'the registrar is back' }] });
    return h.result();
  });
  expect(result).toEqual({ state: 'Complete' });
  expect(fake.recorded.filter((t) => t.execution === 2).at(-1)).toMatchObject({ event: 'workflow-complete', details: { registrationNumber: 'REG-10' } });
});
