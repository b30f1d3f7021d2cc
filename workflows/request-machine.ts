import type { CapabilityDefinition, CapabilityEvent, State, Transition } from './capability-model';
import { isFinalState } from './capability-model';

export interface TransitionRecord {
  seq: number;
  from: State;
  event: CapabilityEvent;
  to: State;
  actions: readonly string[];
  error?: string;
  occurredAt: string;
}

/**
 * The one place that decides what happens next: given the current state and an event, which
 * transition applies. Pure and deterministic, so it is unit-tested without Temporal.
 */
export class RequestMachine {
  private current: State;
  private readonly history: TransitionRecord[] = [];

  constructor(private readonly definition: CapabilityDefinition) {
    this.current = definition.initial;
  }

  get state(): State {
    return this.current;
  }

  get isFinal(): boolean {
    return isFinalState(this.current);
  }

  get transitions(): readonly TransitionRecord[] {
    return this.history;
  }

  transitionFor(event: CapabilityEvent): Transition | undefined {
    return this.definition.transitions.find((t) => t.from === this.current && t.event === event);
  }

  /** Moves to `to` and returns the record to persist. */
  apply(event: CapabilityEvent, to: State, actions: readonly string[], occurredAt: Date, error?: string): TransitionRecord {
    const record: TransitionRecord = {
      seq: this.history.length + 1,
      from: this.current,
      event,
      to,
      actions,
      occurredAt: occurredAt.toISOString(),
      ...(error === undefined ? {} : { error }),
    };
    this.history.push(record);
    this.current = to;
    return record;
  }
}
