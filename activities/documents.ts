import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Pool } from 'pg';
import { applyStatus, findUpload, loadBlob, markSignalled, pendingForPoll, recordPollCycle, recordUpload, unsignalledOutcomes, type PollCycle, type UploadRow } from '../db/documents';
import { stepOutcomeSignal } from '../workflows/messages';

export interface DocumentsDeps {
  db: Pool;
  /** Signals outcomes to the waiting executions. */
  temporal: Client;
  apiUrl: string | undefined;
  /** Stay under the status endpoint's rate limit (calls per minute). */
  statusCallsPerMinute: number;
  /** A document still processing this long after it started is a processing timeout. */
  processingTimeoutMs: number;
  fetch?: typeof fetch;
}

const BATCH = 100;
const STATUS_ATTEMPTS = 3;

/**
 * The upload step: sends the stored file to the documents API once and records the upload as
 * pending; the status poller learns the outcome later. A retry after a crash finds the upload
 * recorded and does not send it again; a crash between the API's answer and the record is covered
 * by the Idempotency-Key the upload carries (honoured by the simulator; the real API has none).
 */
export async function uploadDocument(
  deps: DocumentsDeps,
  input: { requestId: string; version: number; execution: number; parameters: Record<string, unknown> },
): Promise<{ handedOff: true; externalId: number }> {
  const key = { requestId: input.requestId, version: input.version, execution: input.execution };
  const existing = await findUpload(deps.db, key);
  if (existing) return { handedOff: true, externalId: existing.externalId };
  if (!deps.apiUrl) throw ApplicationFailure.create({ type: 'DocumentsApiNotConfigured', message: 'DOCUMENTS_API_URL is not set', nonRetryable: true });
  const blob = await loadBlob(deps.db, String(input.parameters.documentId));
  if (!blob) throw ApplicationFailure.create({ type: 'DocumentMissing', message: 'the uploaded file is no longer stored', nonRetryable: true });

  const form = new FormData();
  form.append('parameters', JSON.stringify({ fileNumber: input.parameters.fileNumber, docType: input.parameters.docType, fileName: blob.fileName }));
  form.append('file', new Blob([new Uint8Array(blob.bytes)], { type: blob.contentType }), blob.fileName);
  const res = await (deps.fetch ?? fetch)(`${deps.apiUrl}/documents`, {
    method: 'POST',
    headers: { 'Idempotency-Key': `${input.requestId}/v${input.version}/e${input.execution}` },
    body: form,
    signal: AbortSignal.timeout(30_000),
  }).catch(() => {
    throw new Error('the documents API could not be reached');
  });
  if (res.status === 400) {
    const body = (await res.json().catch(() => ({}))) as { errors?: { detail?: string }[] };
    throw ApplicationFailure.create({ type: 'DocumentRejected', message: `the documents API refused the upload: ${(body.errors ?? []).map((e) => e.detail).join('; ')}`, nonRetryable: true });
  }
  if (!res.ok) throw new Error(`the documents API answered HTTP ${res.status}`);
  const answer = (await res.json()) as { data?: { success?: boolean; requestId?: number } };
  if (!answer.data?.success || typeof answer.data.requestId !== 'number') throw new Error('the documents API did not confirm the upload');
  const workflowId = Context.current().info.workflowExecution!.workflowId;
  await recordUpload(deps.db, { ...key, workflowId, externalId: answer.data.requestId, docType: String(input.parameters.docType) });
  return { handedOff: true, externalId: answer.data.requestId };
}

interface StatusEntry {
  requestId?: number;
  status?: string;
  time?: { startTime?: number; endTime?: number };
  error?: { detail?: string; step?: string };
}

/**
 * One poll cycle: every pending upload not polled within the window, 100 ids per status call,
 * spaced to stay under the rate limit. No bad answer stops the rest: each is counted, transient
 * ones are retried, and what is still unknown is picked up by the next cycle.
 */
export async function pollDocumentStatuses(deps: DocumentsDeps, input: { pollingWindowMs: number; maxDocuments?: number }): Promise<PollCycle> {
  const startedAt = new Date();
  const cycle: PollCycle = { startedAt, finishedAt: startedAt, polled: 0, statusCalls: 0, completed: 0, failed: 0, processingTimeouts: 0, notFound: 0, pollingErrors: {}, exhaustedRetries: 0 };
  const countError = (kind: string) => (cycle.pollingErrors[kind] = (cycle.pollingErrors[kind] ?? 0) + 1);
  if (!deps.apiUrl) return cycle;
  const spacingMs = Math.ceil(60_000 / deps.statusCallsPerMinute);
  let lastCall = 0;

  const pending = await pendingForPoll(deps.db, input.pollingWindowMs, input.maxDocuments ?? 100_000);
  for (let i = 0; i < pending.length; i += BATCH) {
    const batch = pending.slice(i, i + BATCH);
    Context.current().heartbeat({ batch: i / BATCH });
    let answer: { statuses?: StatusEntry[]; requestIdsNotFound?: number[] } | undefined;
    for (let attempt = 1; attempt <= STATUS_ATTEMPTS && !answer; attempt++) {
      await Context.current().sleep(Math.max(0, lastCall + spacingMs - Date.now()));
      lastCall = Date.now();
      cycle.statusCalls += 1;
      const res = await (deps.fetch ?? fetch)(`${deps.apiUrl}/uploads/status`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ data: { requestIds: batch.map((u) => String(u.externalId)) } }),
        signal: AbortSignal.timeout(30_000),
      }).catch(() => undefined);
      if (res?.status === 404) {
        answer = { statuses: [], requestIdsNotFound: batch.map((u) => u.externalId) };
      } else if (res?.ok) {
        const body = (await res.json().catch(() => undefined)) as { data?: { statuses?: unknown; requestIdsNotFound?: number[] } } | undefined;
        if (!Array.isArray(body?.data?.statuses)) countError('missing_statuses');
        answer = { statuses: Array.isArray(body?.data?.statuses) ? (body!.data!.statuses as StatusEntry[]) : [], requestIdsNotFound: body?.data?.requestIdsNotFound ?? [] };
      } else {
        countError(res ? (res.status === 429 ? 'rate_limited' : `http_${res.status >= 500 ? '5xx' : res.status}`) : 'unreachable');
        // Back off before the next attempt; a 429 says how long.
        const retryAfter = Number(res?.headers.get('retry-after'));
        await Context.current().sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 500 * 2 ** attempt);
      }
    }
    if (!answer) {
      // Retries exhausted: this batch waits for the next cycle, untouched.
      cycle.exhaustedRetries += 1;
      continue;
    }
    cycle.polled += batch.length;
    const byId = new Map((answer.statuses ?? []).filter((s) => typeof s.requestId === 'number').map((s) => [s.requestId!, s]));
    const notFound = new Set(answer.requestIdsNotFound ?? []);
    for (const upload of batch) {
      const status = byId.get(upload.externalId);
      if (!status) {
        if (notFound.has(upload.externalId)) {
          cycle.notFound += 1;
          countError('not_found');
        } else {
          countError('missing_from_answer');
        }
        await applyStatus(deps.db, upload, { status: null, state: 'pending' });
        continue;
      }
      const started = status.time?.startTime ? new Date(status.time.startTime) : undefined;
      const ended = status.time?.endTime ? new Date(status.time.endTime) : undefined;
      const plain = status as Record<string, unknown>;
      if (status.status === 'SUCCESS') {
        cycle.completed += 1;
        await applyStatus(deps.db, upload, { status: plain, state: 'completed', ...(started ? { startedAt: started } : {}), ...(ended ? { endedAt: ended } : {}) });
      } else if (status.status === 'FAILED') {
        if (!status.error) countError('failed_without_error');
        cycle.failed += 1;
        await applyStatus(deps.db, upload, {
          status: plain,
          state: 'failed',
          ...(started ? { startedAt: started } : {}),
          ...(ended ? { endedAt: ended } : {}),
          errorDetail: status.error?.detail ?? 'the documents API reported a failure without saying why',
          errorStep: status.error?.step ?? 'UNKNOWN',
        });
      } else if (started && Date.now() - started.getTime() > deps.processingTimeoutMs) {
        cycle.processingTimeouts += 1;
        await applyStatus(deps.db, upload, {
          status: plain,
          state: 'failed',
          startedAt: started,
          errorDetail: `still processing ${Math.round(deps.processingTimeoutMs / 3_600_000)} h after it started: processing timeout`,
          errorStep: 'PROCESSING_TIMEOUT',
        });
      } else {
        await applyStatus(deps.db, upload, { status: plain, state: 'pending', ...(started ? { startedAt: started } : {}) });
      }
    }
  }
  await tellOutcomes(deps);
  cycle.finishedAt = new Date();
  await recordPollCycle(deps.db, cycle);
  return cycle;
}

/** Signals each recorded outcome to its execution, once; those that fail to send are tried next cycle. */
async function tellOutcomes(deps: DocumentsDeps): Promise<void> {
  for (;;) {
    const outcomes = await unsignalledOutcomes(deps.db, 200);
    if (outcomes.length === 0) return;
    let told = 0;
    for (const upload of outcomes) {
      try {
        await deps.temporal.workflow.getHandle(upload.workflowId).signal(stepOutcomeSignal, outcomeOf(upload));
      } catch (err) {
        // An execution that is gone (cancelled, terminated) has no one to tell: record and move on.
        if (!/not found|already completed/i.test((err as Error).message)) continue;
      }
      await markSignalled(deps.db, upload);
      told += 1;
    }
    if (told === 0) return;
  }
}

function outcomeOf(upload: UploadRow) {
  return upload.state === 'completed'
    ? { success: true, details: { documentRequestId: upload.externalId } }
    : { success: false, error: `${upload.errorStep}: ${upload.errorDetail}`, details: { documentRequestId: upload.externalId, failedStep: upload.errorStep } };
}
