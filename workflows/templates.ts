import type { CapabilityDefinition, ExecutionStep } from './capability-model';

/**
 * The *run* template of the source system:
 * ```
 * [Start] - <capability-submitted> {QueueWorkflow} -> [Queued]
 * [Queued] - <resume> {ExecuteWorkflow} -> [Executing]
 * [Executing] - <workflow-complete> -> [Complete]
 * [Executing] - <workflow-failed> -> [Failed]
 * ```
 */
export function run(name: string, step: ExecutionStep): CapabilityDefinition {
  return {
    name,
    template: 'run',
    step,
    initial: 'Start',
    transitions: [
      { from: 'Start', event: 'capability-submitted', actions: ['QueueWorkflow'], to: 'Queued' },
      { from: 'Queued', event: 'resume', actions: ['ExecuteWorkflow'], to: 'Executing' },
      { from: 'Executing', event: 'workflow-complete', actions: [], to: 'Complete' },
      { from: 'Executing', event: 'workflow-failed', actions: [], to: 'Failed' },
    ],
  };
}
