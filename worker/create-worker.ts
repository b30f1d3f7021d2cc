import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import type { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { createSlotDispatcher } from '../capabilities/slot-dispatcher';
import type { CalibrationDeps } from '../activities/calibration';
import type { DocumentsDeps } from '../activities/documents';
import type { ProofingDeps } from '../activities/identity-proofing';
import type { RegistrationDeps } from '../activities/registration';
import type { Mailer } from '../notifications/mailer';
import { capflowDataConverter } from '../pii/data-converter';
import type { KeyRing } from '../pii/key-ring';

export interface CapflowWorkerOptions {
  connection: NativeConnection;
  /** For activities that signal other workflows (slot grants). */
  temporal: Client;
  namespace: string;
  taskQueue: string;
  db: Pool;
  webhookSigningKey: string;
  mailer: Mailer | undefined;
  /** Encrypts payloads (the same keys as the API's) and personal data at rest. */
  payloadKeys: KeyRing;
  proofing: Omit<ProofingDeps, 'db' | 'payloadKeys'>;
  documents: Omit<DocumentsDeps, 'db' | 'temporal'>;
  registration: Omit<RegistrationDeps, 'db'>;
  calibration: Omit<CalibrationDeps, 'db'>;
  shutdownGraceTimeMs?: number;
  /** Workflows kept in memory between tasks (the SDK's default grows with the heap: about 2,300 here). */
  maxCachedWorkflows?: number;
  /** A prebuilt bundle (tests build one per run); otherwise the workflows are bundled at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export async function createCapflowWorker(options: CapflowWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities({
      db: options.db,
      slots: createSlotDispatcher({ db: options.db, temporal: options.temporal }),
      webhookSigningKey: options.webhookSigningKey,
      mailer: options.mailer,
      payloadKeys: options.payloadKeys,
      proofing: options.proofing,
      documents: { ...options.documents, temporal: options.temporal },
      registration: options.registration,
      calibration: options.calibration,
    }),
    dataConverter: capflowDataConverter(options.payloadKeys),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    shutdownGraceTime: options.shutdownGraceTimeMs ?? 10_000,
    ...(options.maxCachedWorkflows ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    // Heartbeats reach Temporal within 2 s, so a cancel reaches a running step (and the job it
    // drives at an external executor) that quickly, not after most of the heartbeat timeout.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
}
