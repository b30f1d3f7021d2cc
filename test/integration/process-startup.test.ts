import { spawn } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../scripts/free-port';
import { requireTestEnv } from '../support/test-env';
import { testPayloadKeysEnv } from '../support/test-stack';

const root = path.join(__dirname, '..', '..');

/** Starts an entry point as its own process, the way docker-compose and `npm start` do. */
function startProcess(entry: string, env: Record<string, string>) {
  const child = spawn(process.execPath, ['-r', './test/support/ts-register.js', entry], {
    cwd: root,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('process start-up', () => {
  it.each(['worker/main.ts', 'api/main.ts'])('%s names each bad variable and exits non-zero', async (entry) => {
    const proc = startProcess(entry, { DATABASE_URL: 'mysql://wrong', TEMPORAL_ADDRESS: 'no-port-here', LOG_LEVEL: 'loud' });
    const code = await proc.exited;
    expect(code).not.toBe(0);
    const out = proc.output();
    expect(out).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(out).toMatch(/TEMPORAL_ADDRESS: must be host:port/);
    expect(out).toMatch(/LOG_LEVEL:/);
    if (entry.startsWith('api')) expect(out).toMatch(/API_KEYS: is required/);
  });

  it('the API process serves, then drains and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const proc = startProcess('api/main.ts', {
      DATABASE_URL: requireTestEnv('databaseUrl'),
      TEMPORAL_ADDRESS: requireTestEnv('temporalAddress'),
      API_KEYS: 'operator:process-test-key-0001',
      WEBHOOK_SIGNING_KEY: 'process-test-signing-key-0123456789abcdef',
      PAYLOAD_KEYS: testPayloadKeysEnv,
      PII_HASH_KEY: 'process-test-pii-hash-key-0123456789abcdef',
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    try {
      let ready: Response | undefined;
      for (let i = 0; i < 100 && !ready?.ok; i++) {
        ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        if (!ready?.ok) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ready?.status).toBe(200);
      proc.child.kill('SIGTERM');
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toMatch(/api stopping/);
    } finally {
      proc.child.kill('SIGKILL');
    }
  });
});
