import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isProcessAlive } from '../../scripts/child-processes';
import { freePort } from '../../scripts/free-port';

/**
 * `npm start` as a user runs it: the compiled supervisor brings up Temporal, PostgreSQL, worker
 * and API; the curl it prints drives a request to Complete; after a kill -9 of the supervisor a
 * second start cleans up and finds the request again; SIGTERM leaves no process behind.
 */
const root = path.join(__dirname, '..', '..');
jest.setTimeout(240_000);

let dataDir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  await promisify(execFile)('npm', ['run', 'build'], { cwd: root });
  dataDir = mkdtempSync(path.join(tmpdir(), 'capflow-stack-'));
  chmodSync(dataDir, 0o755);
  env = {
    ...process.env,
    CAPFLOW_DATA_DIR: dataDir,
    PORT: String(await freePort()),
    TEMPORAL_PORT: String(await freePort()),
    TEMPORAL_UI_PORT: String(await freePort()),
    POSTGRES_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  };
  delete env.DATABASE_URL;
  delete env.TEMPORAL_ADDRESS;
  delete env.API_KEYS;
});
const started: ChildProcess[] = [];
afterAll(() => {
  // Safety net for a failed run: nothing this test started may outlive it.
  const pidFile = path.join(dataDir, 'stack.pids.json');
  const leftovers = existsSync(pidFile) ? recordedPids() : [];
  for (const pid of [...started.map((c) => c.pid), ...leftovers]) {
    if (pid && isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  const postmaster = path.join(dataDir, 'postgres', 'postmaster.pid');
  if (existsSync(postmaster)) {
    const pid = Number(readFileSync(postmaster, 'utf8').split('\n')[0]);
    if (pid && isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(dataDir, { recursive: true, force: true });
});

function start(): { child: ChildProcess; up: Promise<string>; output: () => string } {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'scripts', 'start.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let output = '';
  const up = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ctrl-C stops everything')) resolve(output);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
  });
  up.catch(() => undefined);
  return { child, up, output: () => output };
}

const recordedPids = () =>
  (JSON.parse(readFileSync(path.join(dataDir, 'stack.pids.json'), 'utf8')) as { children: { pid: number }[] }).children.map((c) => c.pid);

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));

async function requestState(api: string, key: string, id: string): Promise<string | undefined> {
  const res = await fetch(`${api}/v1/requests/${id}`, { headers: { Authorization: `Bearer ${key}` } });
  return res.ok ? ((await res.json()) as { state: string }).state : undefined;
}

async function until<T>(fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const value = await fn().catch(() => undefined);
    if (value !== undefined) return value;
  }
  throw new Error('timed out');
}

it('starts, runs the printed curl to Complete, survives a crash of the supervisor, and stops cleanly', async () => {
  const first = start();
  const banner = await first.up;
  for (const role of ['submitter', 'reviewer', 'operator', 'integration']) expect(banner).toMatch(new RegExp(`^\\s+${role}\\s+cf_dev_${role}_`, 'm'));
  expect(banner).toMatch(/Temporal UI\s+http:\/\/localhost:\d+/);
  expect(banner).toMatch(/PostgreSQL\s+postgres:\/\/capflow:\*\*\*@/);

  // Run the printed curl itself.
  const curl = banner.split('\n').find((line) => line.trim().startsWith('curl '))!.trim();
  const { stdout } = await promisify(execFile)('sh', ['-c', curl]);
  const { id } = JSON.parse(stdout) as { id: string };
  const reviewerKey = /reviewer\s+(\S+)/.exec(banner)![1]!;
  const api = `http://localhost:${env.PORT}`;
  expect(await until(async () => ((await requestState(api, reviewerKey, id)) === 'Complete' ? 'Complete' : undefined))).toBe('Complete');

  // Crash: the children stay behind, holding ports.
  const pids = recordedPids();
  expect(pids).toHaveLength(5); // PostgreSQL, Temporal, the simulators, the worker, the API
  first.child.kill('SIGKILL');
  await exited(first.child);
  expect(pids.some(isProcessAlive)).toBe(true);

  const second = start();
  const secondBanner = await second.up;
  expect(secondBanner).toMatch(/left over from a previous run/);
  expect(pids.filter(isProcessAlive)).toEqual([]);
  // Same keys, same data: the request from before the crash is still there.
  expect(await requestState(api, reviewerKey, id)).toBe('Complete');

  const secondPids = recordedPids();
  second.child.kill('SIGTERM');
  await exited(second.child);
  expect(second.child.exitCode).toBe(0);
  expect(secondPids.filter(isProcessAlive)).toEqual([]);
  expect(existsSync(path.join(dataDir, 'stack.pids.json'))).toBe(false);
});
