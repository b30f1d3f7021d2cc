import { sealJson, type KeyRing } from './key-ring';

/**
 * Parameters of capabilities that take personal data are stored sealed, `{"$sealed": "v1.…"}`,
 * and replaced by `{"$purged": true}` once their time is up; everything else is stored as given.
 */
export function protectParameters(ring: KeyRing, sensitive: boolean, parameters: Record<string, unknown>): Record<string, unknown> {
  return sensitive ? { $sealed: sealJson(ring, parameters) } : parameters;
}

/** What the API shows: sealed parameters are never shown, to anyone. */
export function visibleParameters(stored: Record<string, unknown>): Record<string, unknown> {
  return typeof stored.$sealed === 'string' ? { $protected: true } : stored;
}
