import { z } from 'zod';
import { uuidFrom } from '../../api/use-cases/submit-request';
import { requestWorkflowId } from '../../workflows/ids';

describe('request ids', () => {
  it('derives the same valid UUID from the same name, and different ones from different names', () => {
    const a = uuidFrom('submitter:abc\nkey-1');
    expect(uuidFrom('submitter:abc\nkey-1')).toBe(a);
    expect(uuidFrom('submitter:abc\nkey-2')).not.toBe(a);
    expect(z.uuid().safeParse(a).success).toBe(true);
    expect(a[14]).toBe('8');
  });

  it('puts nothing but the opaque id in workflow ids', () => {
    expect(requestWorkflowId('0f8c5e0a-1111-4222-8333-444455556666')).toBe('request-0f8c5e0a-1111-4222-8333-444455556666');
  });
});
