import { ApplicationFailure } from '@temporalio/activity';
import type { Pool } from 'pg';
import { insertRequest, recordTransition } from '../db/requests';
import { requestWorkflowId } from '../workflows/ids';
import type { TransitionRecord } from '../workflows/request-machine';
import { executionStepHandlers } from './execution-steps';

export interface ActivityDeps {
  db: Pool;
}

export interface RegisterRequestInput {
  requestId: string;
  capability: string;
  parameters: Record<string, unknown>;
  submittedBy: string;
  submittedAt: string;
}

export interface ExecuteStepInput {
  requestId: string;
  step: string;
  parameters: Record<string, unknown>;
}

/** Every side effect capflow's workflows perform; the worker passes real deps, tests may pass fakes. */
export const createActivities = (deps: ActivityDeps) => ({
  async registerRequest(input: RegisterRequestInput): Promise<void> {
    await insertRequest(deps.db, {
      id: input.requestId,
      workflowId: requestWorkflowId(input.requestId),
      capability: input.capability,
      parameters: input.parameters,
      submittedBy: input.submittedBy,
      submittedAt: new Date(input.submittedAt),
    });
  },

  async recordTransition(input: { requestId: string; transition: TransitionRecord }): Promise<void> {
    await recordTransition(deps.db, input.requestId, input.transition);
  },

  async executeStep(input: ExecuteStepInput): Promise<Record<string, unknown>> {
    const handler = executionStepHandlers[input.step];
    if (!handler) {
      throw ApplicationFailure.create({ type: 'UnknownExecutionStep', message: `unknown execution step "${input.step}"`, nonRetryable: true });
    }
    return handler(input.parameters);
  },
});
