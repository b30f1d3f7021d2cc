import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../activities';

type Activities = ReturnType<typeof createActivities>;

// A cycle may take a while (10,000 documents at 60 calls a minute); it heartbeats per batch. A
// worker that dies mid-cycle makes Temporal retry it: what was recorded stays, the rest is polled.
const { pollDocumentStatuses } = proxyActivities<Activities>({
  startToCloseTimeout: '1 hour',
  heartbeatTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

export interface DocumentPollerInput {
  /** Documents polled more recently than this are left for a later cycle. */
  pollingWindowMs: number;
}

/**
 * One poll cycle, started by the `document-status-poller` Temporal Schedule (hourly by default):
 * asks the documents API for every pending upload's status and tells each waiting request its
 * outcome. The Schedule skips a cycle while the previous one still runs.
 */
export async function documentStatusPoller(input: DocumentPollerInput) {
  return pollDocumentStatuses({ pollingWindowMs: input.pollingWindowMs });
}
