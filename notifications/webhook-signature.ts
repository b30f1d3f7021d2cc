import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Callback events are signed like Stripe's: `X-Capflow-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${body}`). Each API key has its own secret, derived from the
 * server's signing key, so nothing per key needs storing; a key's holder reads it at
 * `GET /v1/webhook-secret`.
 */
export function webhookSecretFor(signingKey: string, principalId: string): string {
  return createHmac('sha256', signingKey).update(`webhook:${principalId}`).digest('hex');
}

export function signatureHeader(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** For receivers (and tests): checks the signature and that it is recent. */
export function verifySignature(secret: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1 || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureHeader(secret, body, timestamp).split('v1=')[1]!, 'hex');
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
