import { ApplicationFailure, condition, log, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createActivities } from '../activities';
import type { Action, CapabilityDefinition, CapabilityEvent, State } from './capability-model';
import { requestStateQuery } from './messages';
import { RequestMachine } from './request-machine';
import { capabilityStateKey } from './search-attributes';

type Activities = ReturnType<typeof createActivities>;

// Read-model writes retry until the database is back: a request never stops because PostgreSQL blinked.
const { registerRequest, recordTransition } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const { executeStep } = proxyActivities<Activities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

export interface CapabilityRequestInput {
  requestId: string;
  /** Snapshot of the definition at submission: editing a definition never changes a running request. */
  definition: CapabilityDefinition;
  parameters: Record<string, unknown>;
  submittedBy: string;
  submittedAt: string;
}

export interface CapabilityRequestResult {
  state: State;
  error?: string;
}

interface Inbound {
  event: CapabilityEvent;
  error?: string;
}

/**
 * Interprets a capability definition: waits for events, runs each transition's actions, moves the
 * state, and records every step in the read model and in the search attributes.
 */
export async function capabilityRequest(input: CapabilityRequestInput): Promise<CapabilityRequestResult> {
  const machine = new RequestMachine(input.definition);
  const inbox: Inbound[] = [{ event: 'capability-submitted' }];
  let lastError: string | undefined;

  setHandler(requestStateQuery, () => ({ state: machine.state, transitions: machine.transitions }));

  await registerRequest({
    requestId: input.requestId,
    capability: input.definition.name,
    parameters: input.parameters,
    submittedBy: input.submittedBy,
    submittedAt: input.submittedAt,
  });

  // Actions start work; work that finishes later comes back as an event in the inbox.
  const runAction = async (action: Action): Promise<void> => {
    switch (action) {
      case 'QueueWorkflow':
        // No capacity limits exist yet, so the slot is granted at once.
        inbox.push({ event: 'resume' });
        return;
      case 'ExecuteWorkflow':
        void executeStep({ requestId: input.requestId, step: input.definition.step, parameters: input.parameters }).then(
          () => inbox.push({ event: 'workflow-complete' }),
          (err: unknown) => inbox.push({ event: 'workflow-failed', error: describe(err) }),
        );
        return;
      default:
        throw ApplicationFailure.create({
          type: 'UnsupportedAction',
          message: `action ${action} is not supported by this worker`,
          nonRetryable: true,
        });
    }
  };

  while (!machine.isFinal) {
    await condition(() => inbox.length > 0);
    const { event, error } = inbox.shift()!;
    const transition = machine.transitionFor(event);
    if (!transition) {
      log.warn('event has no transition from the current state; ignored', { event, state: machine.state });
      continue;
    }
    let to = transition.to;
    let failure = error;
    try {
      for (const action of transition.actions) await runAction(action);
    } catch (err) {
      // An action that cannot run ends the request visibly instead of leaving it stuck.
      to = 'Failed';
      failure = describe(err);
    }
    if (failure !== undefined) lastError = failure;
    const record = machine.apply(event, to, transition.actions, new Date(), failure);
    upsertSearchAttributes([{ key: capabilityStateKey, value: record.to }]);
    await recordTransition({ requestId: input.requestId, transition: record });
  }

  return { state: machine.state, ...(lastError === undefined ? {} : { error: lastError }) };
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
  }
  return String(err);
}
