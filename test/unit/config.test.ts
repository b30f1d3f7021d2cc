import { apiEnvSchema, ConfigError, parseEnv, workerEnvSchema } from '../../config/env';

const validApi = {
  DATABASE_URL: 'postgres://u:p@db:5432/capflow',
  API_KEYS: 'submitter:0123456789abcdef,reviewer:fedcba9876543210',
  WEBHOOK_SIGNING_KEY: 'a-signing-key-of-at-least-32-characters',
  PAYLOAD_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')},k2:${Buffer.alloc(32, 2).toString('base64')}`,
  PII_HASH_KEY: 'a-pii-hash-key-of-at-least-32-characters',
};

describe('configuration from the environment', () => {
  it('applies defaults and parses API keys with their roles', () => {
    const config = parseEnv(apiEnvSchema, validApi);
    expect(config).toMatchObject({ TEMPORAL_ADDRESS: 'localhost:7233', TEMPORAL_NAMESPACE: 'default', TEMPORAL_TASK_QUEUE: 'capflow', PORT: 3000 });
    expect(config.API_KEYS).toEqual([
      { role: 'submitter', key: '0123456789abcdef' },
      { role: 'reviewer', key: 'fedcba9876543210' },
    ]);
  });

  it('names every bad variable at once', () => {
    const attempt = () => parseEnv(apiEnvSchema, { DATABASE_URL: 'mysql://nope', PORT: 'eighty', TEMPORAL_ADDRESS: 'no-port', API_KEYS: 'admin:0123456789abcdef' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (err) {
      const variables = (err as ConfigError).problems.map((p) => p.variable).sort();
      expect(variables).toEqual(['API_KEYS', 'DATABASE_URL', 'PAYLOAD_KEYS', 'PII_HASH_KEY', 'PORT', 'TEMPORAL_ADDRESS', 'WEBHOOK_SIGNING_KEY']);
      expect((err as ConfigError).message).toMatch(/API_KEYS: entry 1 must be "<role>:<key>"/);
    }
  });

  it('says a missing required variable is required', () => {
    try {
      parseEnv(workerEnvSchema, {});
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        { variable: 'DATABASE_URL', message: 'is required' },
        { variable: 'WEBHOOK_SIGNING_KEY', message: 'is required' },
        { variable: 'PAYLOAD_KEYS', message: 'is required' },
      ]);
    }
  });

  it('reads payload keys newest last, and names a key that is not 32 bytes', () => {
    const config = parseEnv(apiEnvSchema, validApi);
    expect(config.PAYLOAD_KEYS.currentId).toBe('k2');
    expect([...config.PAYLOAD_KEYS.keys.keys()]).toEqual(['k1', 'k2']);
    expect(() => parseEnv(apiEnvSchema, { ...validApi, PAYLOAD_KEYS: 'k1:c2hvcnQ=' })).toThrow(/PAYLOAD_KEYS: entry 1 \(k1\): the key must be 32 bytes/);
  });

  it('refuses short API keys and treats empty values as unset', () => {
    expect(() => parseEnv(apiEnvSchema, { ...validApi, API_KEYS: 'submitter:short' })).toThrow(/at least 16 characters/);
    expect(() => parseEnv(apiEnvSchema, { ...validApi, API_KEYS: '' })).toThrow(/API_KEYS: is required/);
    expect(parseEnv(apiEnvSchema, { ...validApi, PORT: '' }).PORT).toBe(3000);
  });

  it('bounds the worker\'s workflow cache, 1,000 unless told otherwise', () => {
    const worker = { DATABASE_URL: validApi.DATABASE_URL, WEBHOOK_SIGNING_KEY: validApi.WEBHOOK_SIGNING_KEY, PAYLOAD_KEYS: validApi.PAYLOAD_KEYS };
    expect(parseEnv(workerEnvSchema, worker).WORKER_MAX_CACHED_WORKFLOWS).toBe(1_000);
    expect(parseEnv(workerEnvSchema, { ...worker, WORKER_MAX_CACHED_WORKFLOWS: '250' }).WORKER_MAX_CACHED_WORKFLOWS).toBe(250);
    expect(() => parseEnv(workerEnvSchema, { ...worker, WORKER_MAX_CACHED_WORKFLOWS: '1' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
  });
});
