import { builtInCapabilities, findCapability } from '../../workflows/capabilities';
import { RequestMachine } from '../../workflows/request-machine';

const change = (event: 'capability-submitted' | 'resume' | 'workflow-failed', to: 'Queued' | 'Executing' | 'Failed', error?: string) => ({
  event,
  to,
  actions: [],
  actor: 'capflow',
  details: {},
  ...(error ? { error } : {}),
});

describe('RequestMachine', () => {
  const definition = builtInCapabilities.null!;

  it('finds the transition for each event from the current state only', () => {
    const machine = new RequestMachine(definition);
    expect(machine.state).toBe('Start');
    expect(machine.transitionFor('resume')).toBeUndefined();
    expect(machine.transitionFor('capability-submitted')).toMatchObject({ actions: ['QueueWorkflow'], to: 'Queued' });
    machine.apply(change('capability-submitted', 'Queued'), new Date(0));
    expect(machine.transitionFor('resume')).toMatchObject({ actions: ['ExecuteWorkflow'], to: 'Executing' });
  });

  it('knows the failure transition of the current state, if it has one', () => {
    const machine = new RequestMachine(definition);
    machine.apply(change('capability-submitted', 'Queued'), new Date(0));
    expect(machine.failureFor()).toBeUndefined();
    machine.apply(change('resume', 'Executing'), new Date(1));
    expect(machine.failureFor()).toMatchObject({ from: 'Executing', event: 'workflow-failed', to: 'Failed' });
  });

  it('numbers transitions, keeps the error, and knows when it is final', () => {
    const machine = new RequestMachine(definition);
    machine.apply(change('capability-submitted', 'Queued'), new Date(0));
    machine.apply(change('resume', 'Executing'), new Date(1));
    expect(machine.isFinal).toBe(false);
    const last = machine.apply(change('workflow-failed', 'Failed', 'boom'), new Date(2));
    expect(last).toEqual({ seq: 3, from: 'Executing', event: 'workflow-failed', to: 'Failed', actions: [], actor: 'capflow', details: {}, error: 'boom', occurredAt: new Date(2).toISOString() });
    expect(machine.isFinal).toBe(true);
    expect(machine.hasSeen('resume')).toBe(true);
    expect(machine.hasSeen('qa-pass')).toBe(false);
  });

  it('looks capabilities up by own name only', () => {
    expect(findCapability('null')?.step).toBe('null');
    expect(findCapability('toString')).toBeUndefined();
    expect(findCapability('__proto__')).toBeUndefined();
  });
});
