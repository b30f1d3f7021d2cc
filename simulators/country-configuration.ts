import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Express } from 'express';

/**
 * A country configuration receiving registrations (`POST /registrations`, body
 * `{transactionId, registration}`, `Authorization: Bearer <JWT>` with audience
 * `country-configuration`, HS256 with the shared secret; 401 when missing or invalid, 403 for
 * another audience).
 *
 * The answer is chosen by the registration's `childSurname` (case-insensitive):
 * | surname         | answer |
 * |-----------------|--------|
 * | `Reject`        | 400 `{reason}` |
 * | `Later`         | 202, then after `callbackDelayMs` calls capflow's confirm endpoint |
 * | `LaterReject`   | 202, then calls reject |
 * | `LaterTwice`    | 202, then confirms twice (a duplicate callback) |
 * | `LaterConflict` | 202, then confirms, then rejects (a conflicting callback) |
 * | `Silent`        | 202 and never calls back |
 * | `Error`         | 500 every time |
 * | `Unstable`      | 500 on the first two calls for the transaction, then 200 |
 * | anything else   | 200 `{registrationNumber}` |
 * A transaction is registered once: the same `transactionId` again gets the first answer (and no
 * second callback). `firstAnswerDelayMs` delays the first answer to each transaction (a reply
 * lost to a timeout or a crash).
 */
export interface CountryConfigurationOptions {
  jwtSecret: string;
  /** capflow's API, for callbacks, and the integration key to call it with. */
  capflowUrl?: () => string | undefined;
  integrationKey?: string;
  callbackDelayMs?: number;
  firstAnswerDelayMs?: number;
}

interface Registered {
  transactionId: string;
  status: number;
  body: Record<string, unknown>;
  calls: number;
}

export interface CountryConfiguration {
  app: Express;
  registrations: Map<string, Registered>;
  callbacksSent: { transactionId: string; kind: 'confirm' | 'reject'; status: number }[];
}

export function createCountryConfiguration(options: CountryConfigurationOptions): CountryConfiguration {
  const app = express();
  app.use(express.json());
  const registrations = new Map<string, Registered>();
  const attempts = new Map<string, number>();
  const callbacksSent: CountryConfiguration['callbacksSent'] = [];
  let numbers = 0;

  const callBack = async (transactionId: string, kind: 'confirm' | 'reject', body: object) => {
    const base = options.capflowUrl?.();
    if (!base) return;
    const res = await fetch(`${base}/v1/registrations/${encodeURIComponent(transactionId)}/${kind}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${options.integrationKey ?? ''}` },
      body: JSON.stringify(body),
    }).catch(() => undefined);
    callbacksSent.push({ transactionId, kind, status: res?.status ?? 0 });
  };

  app.post('/registrations', async (req, res) => {
    const credential = verifyJwt(options.jwtSecret, /^Bearer (.+)$/.exec(req.header('authorization') ?? '')?.[1]);
    if (credential === 'invalid') {
      res.status(401).json({ error: 'a valid service credential is required' });
      return;
    }
    if (credential.aud !== 'country-configuration') {
      res.status(403).json({ error: 'the credential is for another audience' });
      return;
    }
    const body = (req.body ?? {}) as { transactionId?: string; registration?: { childSurname?: string } };
    if (!body.transactionId) {
      res.status(400).json({ reason: 'transactionId is required' });
      return;
    }
    const surname = String(body.registration?.childSurname ?? '').toLowerCase();
    const attempt = (attempts.get(body.transactionId) ?? 0) + 1;
    attempts.set(body.transactionId, attempt);
    if (surname === 'error' || (surname === 'unstable' && attempt <= 2)) {
      res.status(500).json({ error: 'internal error' });
      return;
    }
    const existing = registrations.get(body.transactionId);
    if (existing) {
      existing.calls += 1;
      res.status(existing.status).json(existing.body);
      return;
    }
    const transactionId = body.transactionId;
    numbers += 1;
    const registrationNumber = `REG-${String(numbers).padStart(6, '0')}`;
    const answer: Registered =
      surname === 'reject'
        ? { transactionId, status: 400, body: { reason: 'the birth was already registered elsewhere' }, calls: 1 }
        : surname.startsWith('later') || surname === 'silent'
          ? { transactionId, status: 202, body: { status: 'pending validation' }, calls: 1 }
          : { transactionId, status: 200, body: { registrationNumber }, calls: 1 };
    registrations.set(transactionId, answer);
    if (options.firstAnswerDelayMs) await new Promise((r) => setTimeout(r, options.firstAnswerDelayMs));
    res.status(answer.status).json(answer.body);

    const confirm = { registrationNumber, identifiers: [{ type: 'NID', value: `NID-${registrationNumber}` }], comment: 'validated by the registrar' };
    const later = async () => {
      await new Promise((r) => setTimeout(r, options.callbackDelayMs ?? 1_000));
      if (surname === 'later') await callBack(transactionId, 'confirm', confirm);
      if (surname === 'laterreject') await callBack(transactionId, 'reject', { reason: 'the parents’ identities could not be verified', comment: 'documents missing' });
      if (surname === 'latertwice') {
        await callBack(transactionId, 'confirm', confirm);
        await callBack(transactionId, 'confirm', confirm);
      }
      if (surname === 'laterconflict') {
        await callBack(transactionId, 'confirm', confirm);
        await callBack(transactionId, 'reject', { reason: 'changed our mind' });
      }
    };
    if (answer.status === 202) void later();
  });

  return { app, registrations, callbacksSent };
}

/** The claims of a valid HS256 token, or 'invalid' (missing, malformed, bad signature, expired). */
function verifyJwt(secret: string, token: string | undefined): { aud?: string; sub?: string } | 'invalid' {
  const [header, payload, signature] = token?.split('.') ?? [];
  if (!header || !payload || !signature) return 'invalid';
  const expected = Buffer.from(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'));
  if (expected.length !== Buffer.from(signature).length || !timingSafeEqual(expected, Buffer.from(signature))) return 'invalid';
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { aud?: string; sub?: string; exp?: number };
    if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now()) return 'invalid';
    return claims;
  } catch {
    return 'invalid';
  }
}
