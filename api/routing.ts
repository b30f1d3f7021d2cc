import { createHash } from 'node:crypto';
import { Router, type Request } from 'express';
import type { Pool } from 'pg';
import { z } from 'zod';
import type { Role } from '../config/env';
import { claimIdempotencyKey, completeIdempotencyKey, releaseIdempotencyKey } from '../db/idempotency-keys';
import { isDatabaseUnavailable } from '../db/pool';
import { requireRole, type Keyring, type Principal } from './auth';
import { HttpProblem, problemTypes, serviceUnavailable, validationProblem } from './problem';

export interface RouteResult {
  status: number;
  body: unknown;
  location?: string;
}

export interface HandlerInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal | undefined;
  idempotencyKey: string | undefined;
  req: Request;
}

/**
 * One declaration per endpoint: it drives validation, authorisation, idempotency, response
 * checking and the OpenAPI document, so the documentation cannot drift from the behaviour.
 */
export interface RouteSpec<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express-style path (`/v1/requests/:id`). */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  /** Roles allowed to call it; omitted for public endpoints. */
  roles?: readonly Role[];
  params?: P;
  query?: Q;
  body?: B;
  /** Honour the `Idempotency-Key` header (POSTs that create things). */
  idempotent?: boolean;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handle(input: HandlerInput<z.infer<P>, z.infer<Q>, z.infer<B>>): Promise<RouteResult>;
}

export function defineRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(spec: RouteSpec<P, Q, B>): RouteSpec {
  return spec as unknown as RouteSpec;
}

const idempotencyKeySchema = z.string().min(1).max(255).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

export function mountRoutes(routes: readonly RouteSpec[], deps: { keyring: Keyring; db: Pool }): Router {
  const router = Router();
  for (const route of routes) {
    router[route.method](route.path, async (req, res) => {
      const principal = route.roles ? deps.keyring.authenticate(req.headers.authorization) : undefined;
      if (principal && route.roles) requireRole(principal, route.roles);

      const params = parseOrThrow(route.params, req.params, 'path');
      const query = parseOrThrow(route.query, req.query, 'query');
      let body: unknown;
      if (route.body) {
        if (!req.is('application/json')) {
          throw new HttpProblem(415, 'Unsupported media type', 'the body must be JSON (Content-Type: application/json)', {
            type: problemTypes.unsupportedMediaType,
            errors: [{ field: 'Content-Type', message: 'must be application/json' }],
          });
        }
        body = parseOrThrow(route.body, req.body, undefined);
      }

      const rawKey = req.header('Idempotency-Key');
      const idempotencyKey = route.idempotent && rawKey !== undefined ? parseOrThrow(idempotencyKeySchema, rawKey, 'Idempotency-Key') : undefined;
      const input = { params, query, body, principal, idempotencyKey, req };

      const result =
        idempotencyKey && principal
          ? await runIdempotently(deps.db, principal.id, idempotencyKey, requestHash(req, body), () => route.handle(input))
          : await route.handle(input);

      const schema = route.responses[result.status]?.schema;
      const payload = schema ? schema.parse(result.body) : result.body;
      if (result.location) res.setHeader('Location', result.location);
      res.status(result.status).json(payload);
    });
  }
  return router;
}

function parseOrThrow<T = unknown>(schema: z.ZodType<T> | undefined, value: unknown, prefix: string | undefined): T {
  if (!schema) return value as T;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationProblem(parsed.error.issues, prefix);
  return parsed.data;
}

function requestHash(req: Request, body: unknown): string {
  return createHash('sha256').update(`${req.method} ${req.baseUrl}${req.path}\n${JSON.stringify(body ?? null)}`).digest('hex');
}

/**
 * Same key + same body = the stored answer; same key + different body = 422. Failures are not
 * stored, so a client may retry them with the same key.
 */
async function runIdempotently(db: Pool, principal: string, key: string, hash: string, run: () => Promise<RouteResult>): Promise<RouteResult> {
  const claim = await claimIdempotencyKey(db, principal, key, hash).catch((err: unknown) => {
    throw isDatabaseUnavailable(err) ? serviceUnavailable('database') : err;
  });
  if (!claim.claimed) {
    const { existing } = claim;
    if (existing.requestHash !== hash) {
      throw new HttpProblem(422, 'Idempotency key reused', 'this Idempotency-Key was used with a different request body', {
        type: problemTypes.idempotencyMismatch,
        errors: [{ field: 'Idempotency-Key', message: 'already used with a different body' }],
      });
    }
    if (existing.status === null) {
      throw new HttpProblem(409, 'Request in progress', 'a request with this Idempotency-Key is still being processed', {
        type: problemTypes.conflict,
        headers: { 'Retry-After': '1' },
      });
    }
    return { status: existing.status, body: existing.body, ...(existing.location ? { location: existing.location } : {}) };
  }
  let result: RouteResult;
  try {
    result = await run();
  } catch (err) {
    await releaseIdempotencyKey(db, principal, key).catch(() => undefined);
    throw err;
  }
  await completeIdempotencyKey(db, principal, key, result);
  return result;
}
