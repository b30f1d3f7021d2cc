import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { roles, type ApiKey } from '../config/env';

/** One development key per role, created once and kept under `.data/` so they survive restarts. */
export function loadOrCreateDevApiKeys(file: string): ApiKey[] {
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as ApiKey[];
    if (roles.every((role) => stored.some((k) => k.role === role))) return stored;
  }
  const keys = roles.map((role) => ({ role, key: `cf_dev_${role}_${randomBytes(18).toString('base64url')}` }));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return keys;
}

export const apiKeysEnv = (keys: readonly ApiKey[]) => keys.map((k) => `${k.role}:${k.key}`).join(',');

/** A development secret (signing key, hash key, payload key ring), created once and kept beside the dev API keys. */
export function loadOrCreateDevSigningKey(file: string, create: () => string = () => randomBytes(32).toString('hex')): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = create();
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
