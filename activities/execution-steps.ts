import type { ExecutionStep } from '../workflows/capability-model';

type StepHandler = (parameters: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** What `ExecuteWorkflow` does for each execution step. */
export const executionStepHandlers: Partial<Record<string, StepHandler>> & Record<ExecutionStep, StepHandler> = {
  // The `null` capability exists to exercise the machinery (tests, benchmarks): it does nothing.
  null: async () => ({}),
};
