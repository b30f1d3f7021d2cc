// The workflow bundle's entry point: every workflow type the worker registers.
export { capabilityRequest } from './capability-request';
export { capabilityExecution } from './capability-execution';
export { documentStatusPoller } from './document-status-poller';
