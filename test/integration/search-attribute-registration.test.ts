import { randomUUID } from 'node:crypto';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { ensureSearchAttributes } from '../../worker/search-attribute-registration';
import { requireTestEnv } from '../support/test-env';

describe('ensureSearchAttributes', () => {
  let connection: Connection;
  beforeAll(async () => {
    connection = await Connection.connect({ address: requireTestEnv('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('registers the missing search attributes on a fresh namespace, then leaves them alone', async () => {
    const namespace = `ns-${randomUUID().slice(0, 8)}`;
    await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    const logged: string[] = [];
    const logger = { info: (_o: unknown, msg?: string) => void logged.push(`info ${msg}`), warn: (_o: unknown, msg?: string) => void logged.push(`warn ${msg}`) };

    await ensureSearchAttributes(connection.operatorService, namespace, logger);
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes ?? {})).toEqual(expect.arrayContaining(['CapabilityName', 'CapabilityState', 'RequestId']));
    expect(logged).toEqual(['info search attributes registered']);

    await ensureSearchAttributes(connection.operatorService, namespace, logger);
    expect(logged).toHaveLength(1);
  });
});
