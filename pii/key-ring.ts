import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM keys by id. The newest key (listed last) encrypts; every key still listed decrypts,
 * so a key is rotated by appending a new one and retired once nothing it sealed is kept.
 */
export interface KeyRing {
  readonly currentId: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

export interface Sealed {
  keyId: string;
  /** iv (12 bytes) | auth tag (16 bytes) | ciphertext */
  blob: Buffer;
}

/** `PAYLOAD_KEYS=2026a:<base64 of 32 bytes>,2026b:<…>` → a ring; throws naming the entry that is wrong. */
export function parseKeyRing(value: string): KeyRing {
  const keys = new Map<string, Buffer>();
  let currentId = '';
  for (const [index, entry] of value.split(',').map((s) => s.trim()).filter(Boolean).entries()) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    const key = Buffer.from(entry.slice(separator + 1), 'base64');
    if (separator <= 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`entry ${index + 1} must be "<key id>:<base64 key>" (id: letters, digits, _ or -)`);
    if (key.length !== 32) throw new Error(`entry ${index + 1} (${id}): the key must be 32 bytes, base64-encoded (got ${key.length})`);
    if (keys.has(id)) throw new Error(`entry ${index + 1}: key id "${id}" is listed twice`);
    keys.set(id, key);
    currentId = id;
  }
  if (!currentId) throw new Error('at least one key is required');
  return { currentId, keys };
}

export function seal(ring: KeyRing, plaintext: Buffer): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', ring.keys.get(ring.currentId)!, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { keyId: ring.currentId, blob: Buffer.concat([iv, cipher.getAuthTag(), ciphertext]) };
}

export function open(ring: KeyRing, sealed: Sealed): Buffer {
  const key = ring.keys.get(sealed.keyId);
  if (!key) throw new Error(`no key "${sealed.keyId}" to decrypt with (retired?)`);
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.blob.subarray(0, 12));
  decipher.setAuthTag(sealed.blob.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.blob.subarray(28)), decipher.final()]);
}

/** A JSON value sealed into one string, `v1.<key id>.<base64>`, for storing in PostgreSQL. */
export function sealJson(ring: KeyRing, value: unknown): string {
  const { keyId, blob } = seal(ring, Buffer.from(JSON.stringify(value)));
  return `v1.${keyId}.${blob.toString('base64')}`;
}

export function openJson(ring: KeyRing, sealed: string): unknown {
  const [version, keyId, data] = sealed.split('.');
  if (version !== 'v1' || !keyId || data === undefined) throw new Error('not a sealed value');
  return JSON.parse(open(ring, { keyId, blob: Buffer.from(data, 'base64') }).toString('utf8'));
}

/** A fresh random key, base64: what `PAYLOAD_KEYS` entries hold. */
export function newKey(): string {
  return randomBytes(32).toString('base64');
}
