import { builtInCapabilities, findCapability } from '../../workflows/capabilities';
import { RequestMachine } from '../../workflows/request-machine';

describe('RequestMachine on the run template', () => {
  const definition = builtInCapabilities.null!;

  it('finds the transition for each event from the current state only', () => {
    const machine = new RequestMachine(definition);
    expect(machine.state).toBe('Start');
    expect(machine.transitionFor('resume')).toBeUndefined();
    const submitted = machine.transitionFor('capability-submitted')!;
    expect(submitted).toMatchObject({ actions: ['QueueWorkflow'], to: 'Queued' });
    machine.apply('capability-submitted', submitted.to, submitted.actions, new Date(0));
    expect(machine.transitionFor('resume')).toMatchObject({ actions: ['ExecuteWorkflow'], to: 'Executing' });
  });

  it('numbers transitions, keeps the error, and knows when it is final', () => {
    const machine = new RequestMachine(definition);
    machine.apply('capability-submitted', 'Queued', ['QueueWorkflow'], new Date(0));
    machine.apply('resume', 'Executing', ['ExecuteWorkflow'], new Date(1));
    expect(machine.isFinal).toBe(false);
    const last = machine.apply('workflow-failed', 'Failed', [], new Date(2), 'boom');
    expect(last).toEqual({ seq: 3, from: 'Executing', event: 'workflow-failed', to: 'Failed', actions: [], error: 'boom', occurredAt: new Date(2).toISOString() });
    expect(machine.isFinal).toBe(true);
    expect(machine.transitions.map((t) => t.seq)).toEqual([1, 2, 3]);
  });

  it('looks capabilities up by own name only', () => {
    expect(findCapability('null')?.step).toBe('null');
    expect(findCapability('toString')).toBeUndefined();
    expect(findCapability('__proto__')).toBeUndefined();
  });
});
