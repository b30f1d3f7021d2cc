import type { CapabilityDefinition } from './capability-model';
import { run, withQa } from './templates';

const DAY = 24 * 60 * 60 * 1000;

/** Development defaults; a deployment points these at real lists. */
const localRecipients = {
  reviewers: ['reviewers@capflow.local'],
  dataAnalysts: ['data-analysts@capflow.local'],
  operators: ['operators@capflow.local'],
};

/** The capabilities this build of capflow offers, by name. */
export const builtInCapabilities: Readonly<Record<string, CapabilityDefinition>> = {
  null: run({ name: 'null', description: 'Runs nothing (or waits `durationMs`): exercises the machinery (tests, benchmarks)', step: 'null', maxConcurrent: 100, recipients: localRecipients }),
  null_qa: withQa(run({ name: 'null_qa', description: 'Runs nothing, then waits for a QA decision and ingests nothing', step: 'null', maxConcurrent: 100, recipients: localRecipients }), {
    ingestStep: 'null',
    deadlines: { reminderAfterMs: DAY, escalateAfterMs: 3 * DAY, deadlineMs: 7 * DAY, onDeadline: 'fail' },
  }),
  // Identity proofing with a vendor: a new attempt is a new request (the client resubmits), and
  // the identity is personal data.
  identity_proofing: run({
    name: 'identity_proofing',
    description: 'Proofs an identity (name, date of birth, SSN, address) with a resolution vendor; the client polls GET /v1/requests/:id/proofing',
    step: 'identity_proofing',
    maxConcurrent: 20,
    recipients: localRecipients,
    versions: { singleVersionOnly: true, retryWindowMs: 0 },
    sensitiveParameters: true,
  }),
  // A document handed to the benefits documents API; the status poller learns its outcome.
  document_upload: run({
    name: 'document_upload',
    description: 'Uploads a document (multipart) to the benefits documents API; the hourly status poller records its outcome',
    step: 'document_upload',
    maxConcurrent: 10,
    recipients: localRecipients,
    versions: { singleVersionOnly: true },
  }),
  // The source's "ideal" std_calibration: a processing job, its products QA'd, then ingested.
  calibration: withQa(
    run({
      name: 'calibration',
      description: 'Runs a calibration job at the processing executor; its products are staged for QA, and the version that passes is ingested into the archive',
      step: 'calibration',
      maxConcurrent: 4,
      recipients: localRecipients,
    }),
    { ingestStep: 'calibration_ingest', deadlines: { reminderAfterMs: DAY, escalateAfterMs: 3 * DAY, deadlineMs: 7 * DAY, onDeadline: 'fail' } },
  ),
  // A registration the country configuration confirms or rejects, at once or later by callback.
  registration: run({
    name: 'registration',
    description: 'Submits a registration to the country configuration under the client transaction id; it confirms or rejects at once or later by callback',
    step: 'registration',
    maxConcurrent: 20,
    recipients: localRecipients,
    versions: { singleVersionOnly: true },
    handoff: { reminderAfterMs: DAY, deadlineMs: 3 * DAY, failureReason: 'country configuration did not respond' },
  }),
};

export function findCapability(name: string): CapabilityDefinition | undefined {
  return Object.prototype.hasOwnProperty.call(builtInCapabilities, name) ? builtInCapabilities[name] : undefined;
}
