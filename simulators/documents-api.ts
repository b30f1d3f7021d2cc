import Busboy from 'busboy';
import express, { type Express, type Request } from 'express';

/**
 * A benefits-documents API, speaking its wire format:
 * - `POST /documents` (multipart: a `parameters` JSON part and a `file` part) →
 *   `{"data":{"success":true,"requestId":634}}`, or 400 with `errors[]`;
 * - `POST /uploads/status` with `{"data":{"requestIds":["22","21"]}}` → `{"data":{"statuses":[…],
 *   "requestIdsNotFound":[21]}}` (ids sent as strings, returned as integers); 404 with `errors[]`
 *   when no id is known; 429 over `rateLimitPerMinute`.
 *
 * Each document goes through `CLAIMS_EVIDENCE` then `BENEFITS_GATEWAY_SERVICE`, each taking
 * `stepMs`. What happens to a document is chosen by its file name (or set by a test with
 * `behave`): `FAIL_CLAIMS_EVIDENCE…` / `FAIL_BENEFITS_GATEWAY_SERVICE…` fail at that step,
 * `STUCK…` stays in progress forever; anything else succeeds. Tests can also make the status
 * endpoint misbehave once (`misbehaveNext`).
 */
export type DocumentBehaviour = 'succeed' | 'fail-CLAIMS_EVIDENCE' | 'fail-BENEFITS_GATEWAY_SERVICE' | 'stuck';

export type StatusMisbehaviour = 'no-statuses' | 'failed-without-error' | 'drop-one' | '500' | '429';

export interface DocumentsApiOptions {
  stepMs?: number;
  rateLimitPerMinute?: number;
  /** The clock (tests move it). */
  now?: () => number;
}

interface StoredDocument {
  requestId: number;
  uploadedAt: number;
  behaviour: DocumentBehaviour;
  bytes: number;
  idempotencyKey: string | undefined;
}

const steps = ['CLAIMS_EVIDENCE', 'BENEFITS_GATEWAY_SERVICE'] as const;

export interface DocumentsApi {
  app: Express;
  documents: Map<number, StoredDocument>;
  behave(requestId: number, behaviour: DocumentBehaviour): void;
  misbehaveNext(kind: StatusMisbehaviour): void;
  /** Calls to the status endpoint, with how many ids each asked for. */
  statusCalls: number[];
  uploads: number;
}

export function createDocumentsApi(options: DocumentsApiOptions = {}): DocumentsApi {
  const now = options.now ?? Date.now;
  const stepMs = options.stepMs ?? 1_000;
  const app = express();
  const documents = new Map<number, StoredDocument>();
  const byIdempotencyKey = new Map<string, number>();
  const misbehaviours: StatusMisbehaviour[] = [];
  const statusCalls: number[] = [];
  const recentCalls: number[] = [];
  let nextId = 600;
  const api: DocumentsApi = {
    app,
    documents,
    behave: (id, behaviour) => {
      const doc = documents.get(id);
      if (doc) doc.behaviour = behaviour;
    },
    misbehaveNext: (kind) => void misbehaviours.push(kind),
    statusCalls,
    uploads: 0,
  };

  const overRateLimit = () => {
    if (!options.rateLimitPerMinute) return false;
    const t = now();
    while (recentCalls.length && recentCalls[0]! <= t - 60_000) recentCalls.shift();
    if (recentCalls.length >= options.rateLimitPerMinute) return true;
    recentCalls.push(t);
    return false;
  };

  app.post('/documents', async (req, res) => {
    const parts = await readMultipart(req).catch(() => undefined);
    const errors: { detail: string; status: string; title: string }[] = [];
    let parameters: Record<string, unknown> = {};
    try {
      parameters = JSON.parse(parts?.fields.parameters ?? '') as Record<string, unknown>;
    } catch {
      errors.push({ detail: 'the parameters part must be JSON', status: '400', title: 'Bad Request' });
    }
    if (!parts?.file || parts.file.bytes === 0) errors.push({ detail: 'a non-empty file part is required', status: '400', title: 'Bad Request' });
    for (const field of ['fileNumber', 'docType']) {
      if (typeof parameters[field] !== 'string') errors.push({ detail: `parameters.${field} is required`, status: '400', title: 'Bad Request' });
    }
    if (errors.length) {
      res.status(400).json({ errors });
      return;
    }
    // Not in the real API: an idempotency key, so a retried upload can be told apart in tests.
    const key = req.header('Idempotency-Key') ?? undefined;
    const existing = key ? byIdempotencyKey.get(key) : undefined;
    if (existing !== undefined) {
      res.json({ data: { success: true, requestId: existing } });
      return;
    }
    const requestId = nextId++;
    const name = parts!.file!.name;
    const behaviour: DocumentBehaviour = name.startsWith('FAIL_CLAIMS_EVIDENCE')
      ? 'fail-CLAIMS_EVIDENCE'
      : name.startsWith('FAIL_BENEFITS_GATEWAY_SERVICE')
        ? 'fail-BENEFITS_GATEWAY_SERVICE'
        : name.startsWith('STUCK')
          ? 'stuck'
          : 'succeed';
    documents.set(requestId, { requestId, uploadedAt: now(), behaviour, bytes: parts!.file!.bytes, idempotencyKey: key });
    if (key) byIdempotencyKey.set(key, requestId);
    api.uploads += 1;
    res.json({ data: { success: true, requestId } });
  });

  app.post('/uploads/status', express.json(), (req, res) => {
    if (overRateLimit()) {
      res.status(429).json({ errors: [{ detail: 'API rate limit exceeded', status: '429', title: 'Too Many Requests' }] });
      return;
    }
    const ids = ((req.body as { data?: { requestIds?: unknown[] } })?.data?.requestIds ?? []).map(Number);
    statusCalls.push(ids.length);
    const misbehaviour = misbehaviours.shift();
    if (misbehaviour === '500') {
      res.status(500).json({ errors: [{ detail: 'internal error', status: '500', title: 'Internal Server Error' }] });
      return;
    }
    if (misbehaviour === '429') {
      res.status(429).json({ errors: [{ detail: 'API rate limit exceeded', status: '429', title: 'Too Many Requests' }] });
      return;
    }
    const known = ids.filter((id) => documents.has(id));
    const notFound = ids.filter((id) => !documents.has(id));
    if (known.length === 0) {
      res.status(404).json({ errors: [{ detail: 'Upload not found', status: '404', title: 'Not Found' }] });
      return;
    }
    if (misbehaviour === 'no-statuses') {
      res.json({ data: { requestIdsNotFound: notFound } });
      return;
    }
    let statuses = known.map((id) => statusOf(documents.get(id)!, now(), stepMs));
    if (misbehaviour === 'failed-without-error') statuses = statuses.map((s, i) => (i === 0 ? { ...s, status: 'FAILED', error: undefined } : s));
    if (misbehaviour === 'drop-one') statuses = statuses.slice(1);
    res.json({ data: { statuses, ...(notFound.length ? { requestIdsNotFound: notFound } : {}) } });
  });

  return api;
}

function statusOf(doc: StoredDocument, now: number, stepMs: number) {
  const elapsed = now - doc.uploadedAt;
  const failAt = doc.behaviour.startsWith('fail-') ? steps.indexOf(doc.behaviour.slice(5) as (typeof steps)[number]) : -1;
  const reached = doc.behaviour === 'stuck' ? 0 : Math.min(Math.floor(elapsed / stepMs), steps.length);
  const failed = failAt >= 0 && reached >= failAt + 1;
  const done = !failed && reached >= steps.length;
  const stepStatus = (i: number) => (failed && i === failAt ? 'FAILED' : i < reached ? 'SUCCESS' : i === reached ? 'IN_PROGRESS' : 'NOT_STARTED');
  return {
    requestId: doc.requestId,
    time: { startTime: doc.uploadedAt, ...(done || failed ? { endTime: doc.uploadedAt + (failed ? failAt + 1 : steps.length) * stepMs } : {}) },
    status: failed ? 'FAILED' : done ? 'SUCCESS' : 'IN_PROGRESS',
    steps: steps.map((name, i) => ({ name, ...(i + 1 < steps.length ? { nextStepName: steps[i + 1] } : {}), description: `${name} step`, status: stepStatus(i) })),
    ...(failed ? { error: { detail: `the document was rejected at ${steps[failAt]}`, step: steps[failAt] } } : {}),
  };
}

async function readMultipart(req: Request): Promise<{ fields: Record<string, string>; file?: { name: string; bytes: number } }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    let file: { name: string; bytes: number } | undefined;
    const bb = Busboy({ headers: req.headers });
    bb.on('field', (name, value) => {
      fields[name] = value;
    });
    bb.on('file', (_name, stream, info) => {
      let bytes = 0;
      stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
      stream.on('end', () => (file = { name: info.filename ?? 'document', bytes }));
    });
    bb.on('close', () => resolve({ fields, ...(file ? { file } : {}) }));
    bb.on('error', reject);
    req.pipe(bb);
  });
}
