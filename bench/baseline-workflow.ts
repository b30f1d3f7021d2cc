import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '10 seconds' });

/** The baseline: a bare Temporal workflow with one no-op activity, nothing of capflow's. */
export async function baseline(): Promise<void> {
  await noop();
}
