import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ExecutionStep } from '../workflows/capability-model';

type StepHandler = (parameters: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** What `ExecuteWorkflow` does for each execution step. */
export const executionStepHandlers: Partial<Record<string, StepHandler>> & Record<ExecutionStep, StepHandler> = {
  // The `null` capability exercises the machinery (tests, benchmarks): it does nothing, for
  // `durationMs` if asked, heartbeating so that a cancel stops it — or fails while `failUntil`
  // has not passed (an outage to retry after).
  null: async (parameters) => {
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
};
