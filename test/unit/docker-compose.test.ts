import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { apiEnvSchema, parseEnv, workerEnvSchema } from '../../config/env';

const root = path.join(__dirname, '..', '..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: unknown; command?: string[]; environment?: Record<string, string>; ports?: unknown; container_name?: string }>;
};

/** What compose does with `${VAR:-default}` and `${VAR:?message}` when VAR is unset. */
function interpolate(value: string, unset: (name: string) => string): string {
  return value.replace(/\$\{(\w+)(?::?-([^}]*)|:?\?[^}]*)?\}/g, (_m, name: string, fallback?: string) => fallback ?? unset(name));
}

function environmentOf(service: string): Record<string, string> {
  const env = compose.services[service]?.environment ?? {};
  const given: Record<string, string> = {
    CAPFLOW_API_KEYS: 'submitter:compose-test-key-0001',
    CAPFLOW_WEBHOOK_SIGNING_KEY: 'compose-test-signing-key-0123456789abcdef',
    CAPFLOW_PAYLOAD_KEYS: `compose:${Buffer.alloc(32, 1).toString('base64')}`,
    CAPFLOW_PII_HASH_KEY: 'compose-test-pii-hash-key-0123456789abcdef',
  };
  return Object.fromEntries(
    Object.entries(env).map(([k, v]) => [
      k,
      interpolate(String(v), (name) => {
        if (!(name in given)) throw new Error(`docker-compose.yml requires ${name}, which this test does not know`);
        return given[name]!;
      }),
    ]),
  );
}

describe('docker-compose.yml, the production shape', () => {
  it('has PostgreSQL, Temporal on that PostgreSQL, the Web UI, workers and the API', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'postgresql', 'temporal', 'temporal-ui', 'worker']);
    const temporal = compose.services.temporal!.environment!;
    expect(temporal.DB).toMatch(/^postgres/);
    expect(temporal.POSTGRES_SEEDS).toBe('postgresql');
    for (const service of Object.values(compose.services)) {
      if (service.image) expect(service.image).toMatch(/:\d[\w.-]*$/); // pinned, never :latest
    }
  });

  it.each<[string, z.ZodObject]>([
    ['worker', workerEnvSchema],
    ['api', apiEnvSchema],
  ])('gives the %s an environment its config schema accepts, with no unknown variables', (service, schema) => {
    const env = environmentOf(service);
    expect(() => parseEnv(schema, env)).not.toThrow();
    const known = Object.keys(schema.shape);
    expect(Object.keys(env).filter((name) => !known.includes(name))).toEqual([]);
  });

  it('runs entry points that exist, from an image the Dockerfile builds', () => {
    expect(existsSync(path.join(root, 'Dockerfile'))).toBe(true);
    for (const service of ['worker', 'api']) {
      const { build, command } = compose.services[service]!;
      expect(build).toBe('.');
      const script = command![1]!; // ["node", "dist/x/main.js"]
      expect(existsSync(path.join(root, script.replace(/^dist\//, '').replace(/\.js$/, '.ts')))).toBe(true);
    }
  });

  it('lets workers scale out: no fixed container name and no host port', () => {
    const worker = compose.services.worker!;
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
  });

  it('requires API keys to be given rather than shipping a default', () => {
    expect(compose.services.api!.environment!.API_KEYS).toMatch(/^\$\{\w+:\?/);
  });
});
