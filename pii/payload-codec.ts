import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { open, seal, type KeyRing } from './key-ring';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID = 'encryption-key-id';

/**
 * Encrypts every payload capflow sends to Temporal (workflow inputs, activity inputs and
 * results, signals, updates, queries) with AES-256-GCM, so the server's history holds only
 * ciphertext. Payloads that are not encrypted (histories from before) pass through unchanged.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly ring: KeyRing) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const { keyId, blob } = seal(this.ring, Buffer.from(temporal.api.common.v1.Payload.encode(payload).finish()));
      return { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID]: Buffer.from(keyId) }, data: blob };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (Buffer.from(payload.metadata?.[METADATA_ENCODING_KEY] ?? []).toString() !== ENCRYPTED_ENCODING) return payload;
      const keyId = Buffer.from(payload.metadata?.[KEY_ID] ?? []).toString();
      const plain = open(this.ring, { keyId, blob: Buffer.from(payload.data ?? []) });
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}
