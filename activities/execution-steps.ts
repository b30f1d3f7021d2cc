import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ExecutionStep } from '../workflows/capability-model';
import { ingestCalibration, runCalibration, type CalibrationDeps } from './calibration';
import { uploadDocument, type DocumentsDeps } from './documents';
import { proofIdentity, type ProofingDeps } from './identity-proofing';
import { submitRegistration, type RegistrationDeps } from './registration';

export interface StepInput {
  requestId: string;
  version: number;
  execution: number;
  queuedSince: string;
  parameters: Record<string, unknown>;
}

type StepHandler = (input: StepInput) => Promise<object>;

/** What `ExecuteWorkflow` and `Ingest` do for each execution step. */
export function createExecutionSteps(deps: { proofing: ProofingDeps; documents: DocumentsDeps; registration: RegistrationDeps; calibration: CalibrationDeps }): Partial<Record<string, StepHandler>> & Record<ExecutionStep, StepHandler> {
  return {
    // The `null` capability exercises the machinery (tests, benchmarks): it does nothing, for
    // `durationMs` if asked, heartbeating so that a cancel stops it — or fails while `failUntil`
    // has not passed (an outage to retry after).
    null: async ({ parameters }) => {
      if (typeof parameters.failUntil === 'string' && Date.now() < Date.parse(parameters.failUntil)) {
        throw ApplicationFailure.create({ type: 'NullStepFailed', message: `asked to fail until ${parameters.failUntil}`, nonRetryable: true });
      }
      const until = Date.now() + (typeof parameters.durationMs === 'number' ? parameters.durationMs : 0);
      while (Date.now() < until) {
        Context.current().heartbeat();
        await Context.current().sleep(Math.min(1_000, until - Date.now()));
      }
      return {};
    },
    identity_proofing: (input) => proofIdentity(deps.proofing, input),
    // Hands the document to the documents API; the status poller signals the outcome.
    document_upload: (input) => uploadDocument(deps.documents, input),
    // Settles at once (200/400) or hands off until the country configuration calls back.
    registration: (input) => submitRegistration(deps.registration, input),
    calibration: (input) => runCalibration(deps.calibration, input),
    calibration_ingest: (input) => ingestCalibration(deps.calibration, input),
  };
}
