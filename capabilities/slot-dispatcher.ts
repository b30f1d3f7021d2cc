import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { grantFreeSlots, hasWaiters, release, runningHolders } from '../db/capability-queue';
import { requestWorkflowId } from '../workflows/ids';
import { slotGrantedSignal } from '../workflows/messages';

/**
 * Hands out capability slots: grants the free ones to the oldest waiters and tells each granted
 * workflow with a signal. A lost signal is harmless — waiting workflows re-check on a timer —
 * and slots held by requests that ended without giving them back (a terminated workflow) are
 * reclaimed when the queue is blocked.
 */
export function createSlotDispatcher(deps: { db: Pool; temporal: Client }) {
  /** Running, or unknown for now (Temporal unreachable: keep the slot); undefined when there is no such workflow. */
  const isOpen = (workflowId: string) =>
    deps.temporal.workflow
      .getHandle(workflowId)
      .describe()
      .then(
        (d) => d.status.name === 'RUNNING',
        (err: unknown) => (err instanceof WorkflowNotFoundError ? undefined : true),
      );

  const reclaimAbandoned = async (capability: string): Promise<number> => {
    let reclaimed = 0;
    for (const holder of await runningHolders(deps.db, capability)) {
      // An execution is entered in the queue at submission, before its workflow starts: while its
      // request runs, the place is kept.
      const open = (await isOpen(holder.workflowId)) ?? (await isOpen(requestWorkflowId(holder.requestId))) ?? false;
      if (!open && (await release(deps.db, holder.holder))) reclaimed += 1;
    }
    return reclaimed;
  };

  return {
    /** `asker`: the holder whose activity is dispatching learns of its own grant from the answer, not by signal. */
    async dispatch(capability: string, defaultMaxConcurrent: number, asker?: string): Promise<number> {
      let granted = await grantFreeSlots(deps.db, capability, defaultMaxConcurrent);
      if (granted.length === 0 && (await hasWaiters(deps.db, capability)) && (await reclaimAbandoned(capability)) > 0) {
        granted = await grantFreeSlots(deps.db, capability, defaultMaxConcurrent);
      }
      const toTell = granted.filter((g) => g.holder !== asker);
      await Promise.all(toTell.map((g) => deps.temporal.workflow.getHandle(g.workflowId).signal(slotGrantedSignal).catch(() => undefined)));
      return granted.length;
    },
  };
}

export type SlotDispatcher = ReturnType<typeof createSlotDispatcher>;
