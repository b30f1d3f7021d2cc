import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Router } from 'express';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../pii/payload-codec';
import type { KeyRing } from '../pii/key-ring';
import { requireRole, type Keyring, type Principal } from './auth';
import { HttpProblem, problemTypes } from './problem';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')])),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

/**
 * The codec server (Temporal's remote-codec protocol: `POST /codec/decode` and `/codec/encode`
 * with `{"payloads":[…]}`): lets an operator read decrypted payloads in the Web UI
 * (`--ui-codec-endpoint`) or the CLI (`--codec-endpoint … --codec-auth "Bearer <key>"`).
 * Operators only; browsers only from the allowed origins. The Web UI cannot send an API key, so
 * an operator signs in once at `/codec/login` and the browser then sends a signed session cookie
 * (the UI's codec setting "Include cross-origin credentials" must be on).
 */
export function codecServer(deps: { payloadKeys: KeyRing; keyring: Keyring; allowedOrigins: readonly string[]; sessionSecret: string }): Router {
  const codec = new AesGcmPayloadCodec(deps.payloadKeys);
  const router = express.Router();
  const sessions = codecSessions(deps.sessionSecret);

  const operator = (req: Request): Principal => {
    const fromCookie = req.headers.authorization ? undefined : sessions.verify(cookie(req, SESSION_COOKIE));
    const principal = fromCookie ?? deps.keyring.authenticate(req.headers.authorization);
    requireRole(principal, ['operator']);
    return principal;
  };

  router.get('/login', (_req, res) => {
    res.type('html').send(loginPage(''));
  });
  router.post('/login', express.urlencoded({ extended: false, limit: '2kb' }), (req, res) => {
    try {
      const principal = deps.keyring.authenticate(`Bearer ${String((req.body as { key?: unknown }).key ?? '')}`);
      requireRole(principal, ['operator']);
      // Secure cookies are accepted on http://localhost; SameSite=None lets the Web UI's origin send it.
      res.setHeader('Set-Cookie', `${SESSION_COOKIE}=${sessions.issue(principal, 8 * 3_600_000)}; Path=/codec; HttpOnly; Secure; SameSite=None; Max-Age=28800`);
      res.type('html').send(loginPage('Signed in for 8 hours. In the Temporal Web UI, open the codec settings and turn on "Include cross-origin credentials".'));
    } catch {
      res.status(401).type('html').send(loginPage('That is not an operator key.'));
    }
  });

  router.use((req, res, next) => {
    const origin = req.headers.origin;
    if (origin && deps.allowedOrigins.includes(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      res.status(origin && deps.allowedOrigins.includes(origin) ? 204 : 403).end();
      return;
    }
    next();
  });

  for (const direction of ['decode', 'encode'] as const) {
    router.post(`/${direction}`, async (req, res, next) => {
      try {
        operator(req);
        // Protobuf JSON leaves an empty list out: `{}` (the CLI sends it) means no payloads.
        const payloads = (req.body as { payloads?: unknown })?.payloads ?? [];
        if (!Array.isArray(payloads)) {
          throw new HttpProblem(422, 'Request is invalid', 'body must be {"payloads": [...]}', { type: problemTypes.validation, errors: [{ field: 'payloads', message: 'must be an array' }] });
        }
        const converted = await codec[direction](payloads.map((p) => fromJson(p as JsonPayload)));
        res.json({ payloads: converted.map(toJson) });
      } catch (err) {
        next(err instanceof HttpProblem ? err : new HttpProblem(422, 'Request is invalid', 'a payload could not be processed (wrong or retired key?)', { type: problemTypes.validation }));
      }
    });
  }
  return router;
}

const SESSION_COOKIE = 'capflow_codec';

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** `<principal id>.<expiry ms>.<HMAC>`: names the operator, never carries their key. */
function codecSessions(secret: string) {
  const mac = (body: string) => createHmac('sha256', secret).update(`codec-session\n${body}`).digest('base64url');
  return {
    issue: (principal: Principal, ttlMs: number) => {
      const body = `${principal.id}.${Date.now() + ttlMs}`;
      return `${body}.${mac(body)}`;
    },
    verify: (token: string | undefined): Principal | undefined => {
      const parts = token?.split('.') ?? [];
      if (parts.length !== 3) return undefined;
      const [id, expires, signature] = parts as [string, string, string];
      const expected = Buffer.from(mac(`${id}.${expires}`));
      if (expected.length !== Buffer.from(signature).length || !timingSafeEqual(expected, Buffer.from(signature))) return undefined;
      if (Number(expires) < Date.now()) return undefined;
      const role = id.split(':')[0];
      return role === 'operator' ? { role, id } : undefined;
    },
  };
}

function loginPage(message: string): string {
  return `<!doctype html><meta charset="utf-8"><title>capflow codec sign-in</title>
<h1>capflow: decode payloads in the Temporal Web UI</h1>
<p>${message.replace(/[<>&]/g, '')}</p>
<form method="post" action="/codec/login"><label>Operator API key <input type="password" name="key" autocomplete="off"></label> <button>Sign in</button></form>`;
}
