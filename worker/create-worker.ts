import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from '../activities';

export interface CapflowWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  db: Pool;
  shutdownGraceTimeMs?: number;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createCapflowWorker(options: CapflowWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities({ db: options.db }),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    shutdownGraceTime: options.shutdownGraceTimeMs ?? 10_000,
  });
}
