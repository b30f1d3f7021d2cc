import type { Client } from '@temporalio/client';

const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + Math.round((t?.nanos ?? 0) / 1e6);

/**
 * What the server did for some workflows: history events and workflow tasks (its work, and its
 * writes, grow with them), and how long each workflow task waited between being scheduled and a
 * worker starting it (a hop through the server's queues).
 */
export async function historyCost(client: Client, workflowIds: string[]) {
  let events = 0;
  let workflowTasks = 0;
  const dispatchWaitsMs: number[] = [];
  for (const workflowId of workflowIds) {
    const history = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    events += history.length;
    workflowTasks += history.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    const scheduledAt = new Map<string, number>();
    for (const e of history) {
      if (e.workflowTaskScheduledEventAttributes) scheduledAt.set(String(e.eventId), millis(e.eventTime));
      const started = e.workflowTaskStartedEventAttributes;
      if (started) dispatchWaitsMs.push(millis(e.eventTime) - (scheduledAt.get(String(started.scheduledEventId)) ?? millis(e.eventTime)));
    }
  }
  return { workflows: workflowIds.length, events, workflowTasks, dispatchWaitsMs };
}
