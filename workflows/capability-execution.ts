import { interpretExecution, type CapabilityExecutionInput, type CapabilityExecutionResult } from './execution-interpreter';

/**
 * One execution of one version of a request, as a child workflow of the request
 * (`request-<id>/v<N>/e<M>`): runs the capability's state machine and reports each transition.
 */
export async function capabilityExecution(input: CapabilityExecutionInput): Promise<CapabilityExecutionResult> {
  return interpretExecution(input, 'execution');
}
