import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKey, Role } from '../config/env';
import { HttpProblem, problemTypes } from './problem';

export interface Principal {
  role: Role;
  /** Stable, non-secret id of the key (a hash prefix): what audit rows and logs record. */
  id: string;
}

const digest = (key: string) => createHash('sha256').update(key).digest();

/** The id a key's holder is known by in audit rows and logs: role plus a hash prefix, never the key. */
export const principalIdOf = (role: Role, key: string) => `${role}:${digest(key).toString('hex').slice(0, 12)}`;

/** Resolves a bearer token to the principal that holds it, comparing in constant time. */
export function createKeyring(keys: readonly ApiKey[]) {
  const entries = keys.map((k) => ({ role: k.role, digest: digest(k.key), id: principalIdOf(k.role, k.key) }));
  return {
    authenticate(authorization: string | undefined): Principal {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!match) {
        throw new HttpProblem(401, 'Unauthorized', 'an API key is required: "Authorization: Bearer <key>"', {
          type: problemTypes.unauthorized,
          headers: { 'WWW-Authenticate': 'Bearer' },
        });
      }
      const presented = digest(match[1]!);
      const entry = entries.find((e) => timingSafeEqual(e.digest, presented));
      if (!entry) {
        throw new HttpProblem(401, 'Unauthorized', 'the API key is not known', {
          type: problemTypes.unauthorized,
          headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        });
      }
      return { role: entry.role, id: entry.id };
    },
  };
}

export type Keyring = ReturnType<typeof createKeyring>;

export function requireRole(principal: Principal, allowed: readonly Role[]): void {
  if (!allowed.includes(principal.role)) {
    throw new HttpProblem(403, 'Forbidden', `role "${principal.role}" may not do this; allowed: ${allowed.join(', ')}`, {
      type: problemTypes.forbidden,
    });
  }
}
