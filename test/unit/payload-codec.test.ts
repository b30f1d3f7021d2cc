import { METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { newKey, openJson, parseKeyRing, sealJson } from '../../pii/key-ring';
import { AesGcmPayloadCodec } from '../../pii/payload-codec';
import { subjectHash } from '../../pii/subject-hash';

const old = `k2026a:${newKey()}`;
const payload: Payload = { metadata: { [METADATA_ENCODING_KEY]: Buffer.from('json/plain') }, data: Buffer.from('{"ssn":"123-45-6789"}') };

describe('payload encryption', () => {
  it('encrypts with the newest key; after rotation the old payloads still decrypt', async () => {
    const before = new AesGcmPayloadCodec(parseKeyRing(old));
    const [sealedBefore] = await before.encode([payload]);
    expect(Buffer.from(sealedBefore!.data!).toString('latin1')).not.toContain('123-45-6789');
    expect(Buffer.from(sealedBefore!.metadata!['encryption-key-id']!).toString()).toBe('k2026a');

    const rotated = new AesGcmPayloadCodec(parseKeyRing(`${old},k2026b:${newKey()}`));
    const [sealedAfter] = await rotated.encode([payload]);
    expect(Buffer.from(sealedAfter!.metadata!['encryption-key-id']!).toString()).toBe('k2026b');
    for (const sealed of [sealedBefore!, sealedAfter!]) {
      const [plain] = await rotated.decode([sealed]);
      expect(Buffer.from(plain!.data!).toString()).toBe('{"ssn":"123-45-6789"}');
    }
    // A retired key cannot be used: the payload stays unreadable rather than wrongly decoded.
    await expect(new AesGcmPayloadCodec(parseKeyRing(`k2026c:${newKey()}`)).decode([sealedBefore!])).rejects.toThrow(/no key "k2026a"/);
  });

  it('passes payloads that were never encrypted through unchanged (histories from before)', async () => {
    expect(await new AesGcmPayloadCodec(parseKeyRing(old)).decode([payload])).toEqual([payload]);
  });

  it('detects tampering', async () => {
    const codec = new AesGcmPayloadCodec(parseKeyRing(old));
    const [sealed] = await codec.encode([payload]);
    const data = Buffer.from(sealed!.data!);
    data[data.length - 1]! ^= 1;
    await expect(codec.decode([{ ...sealed!, data }])).rejects.toThrow();
  });

  it('seals JSON for the database the same way', () => {
    const ring = parseKeyRing(old);
    const sealed = sealJson(ring, { lastName: 'Okafor' });
    expect(sealed).toMatch(/^v1\.k2026a\./);
    expect(sealed).not.toContain('Okafor');
    expect(openJson(ring, sealed)).toEqual({ lastName: 'Okafor' });
  });

  it('names a person by a keyed hash that ignores formatting and reveals nothing without the key', () => {
    const a = subjectHash('k'.repeat(32), { ssn: '123-45-6789', dob: '1984-03-07', lastName: 'Okafor' });
    expect(subjectHash('k'.repeat(32), { ssn: '123456789', dob: '1984-03-07', lastName: ' okafor ' })).toBe(a);
    expect(subjectHash('other-key'.repeat(4), { ssn: '123-45-6789', dob: '1984-03-07', lastName: 'Okafor' })).not.toBe(a);
    expect(a).not.toContain('6789');
  });
});
