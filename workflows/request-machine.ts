import type { CapabilityDefinition, CapabilityEvent, State, Transition } from './capability-model';
import { failureTransition, isFinalState } from './capability-model';

export interface TransitionRecord {
  seq: number;
  from: State;
  event: CapabilityEvent;
  to: State;
  actions: readonly string[];
  /** Who caused it: a principal id, or `capflow` for the engine itself. */
  actor: string;
  details: Record<string, unknown>;
  error?: string;
  occurredAt: string;
}

/**
 * The one place that decides what happens next: given the current state and an event, which
 * transition applies, and where a failed action leads. Pure and deterministic, so it is
 * unit-tested without Temporal.
 */
export class RequestMachine {
  private current: State;
  private readonly history: TransitionRecord[] = [];

  /** `startAt`: where an execution that resumes part-way begins (a retried ingestion starts AwaitingQa). */
  constructor(
    private readonly definition: CapabilityDefinition,
    startAt: State = definition.initial,
  ) {
    this.current = startAt;
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

  /** Where to go when an action of a transition leaving the current state fails. */
  failureFor(): Transition | undefined {
    return failureTransition(this.definition, this.current);
  }

  hasSeen(event: CapabilityEvent): boolean {
    return this.history.some((t) => t.event === event);
  }

  /** Moves to `to` and returns the record to persist. */
  apply(change: Omit<TransitionRecord, 'seq' | 'from' | 'occurredAt'>, occurredAt: Date): TransitionRecord {
    const record: TransitionRecord = { seq: this.history.length + 1, from: this.current, ...change, occurredAt: occurredAt.toISOString() };
    if (record.error === undefined) delete record.error;
    this.history.push(record);
    this.current = change.to;
    return record;
  }
}
