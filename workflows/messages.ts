import { defineQuery } from '@temporalio/workflow';
import type { State } from './capability-model';
import type { TransitionRecord } from './request-machine';

export interface RequestStateView {
  state: State;
  transitions: readonly TransitionRecord[];
}

/** Live state of a running request, straight from the workflow (the read model may lag a moment). */
export const requestStateQuery = defineQuery<RequestStateView>('requestState');
