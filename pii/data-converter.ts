import type { DataConverter } from '@temporalio/common';
import type { KeyRing } from './key-ring';
import { AesGcmPayloadCodec } from './payload-codec';

/** The data converter every capflow client and worker uses: payloads are encrypted on the wire and in history. */
export function capflowDataConverter(ring: KeyRing): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(ring)] };
}
