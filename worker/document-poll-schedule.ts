import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';

export const documentPollScheduleId = 'document-status-poller';

/**
 * The Temporal Schedule that runs the document status poller every `everyMs`. Created once;
 * each worker start brings its interval and window up to date. A cycle still running when the
 * next is due makes the next one skip (operators see both in the Web UI's Schedules page).
 */
export async function ensureDocumentPollSchedule(temporal: Client, options: { taskQueue: string; everyMs: number; pollingWindowMs: number }): Promise<void> {
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'documentStatusPoller',
    taskQueue: options.taskQueue,
    args: [{ pollingWindowMs: options.pollingWindowMs }],
  };
  const spec = { intervals: [{ every: options.everyMs }] };
  try {
    await temporal.schedule.create({ scheduleId: documentPollScheduleId, spec, action, policies: { overlap: ScheduleOverlapPolicy.SKIP } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning) && !/already/i.test((err as Error).message)) throw err;
    await temporal.schedule.getHandle(documentPollScheduleId).update((previous) => ({ ...previous, spec, action }));
  }
}
