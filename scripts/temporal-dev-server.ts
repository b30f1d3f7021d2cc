import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeKeys } from '../workflows/search-attributes';
import { stopChild, tailOf } from './child-processes';

export interface DevServerOptions {
  cli: string;
  port: number;
  uiPort: number;
  /** SQLite file for persistence across restarts; omitted = in memory. */
  dbFile?: string;
  logFile: string;
  /** Without a UI (tests). */
  headless?: boolean;
  namespace?: string;
  /** Own process group, so a terminal's Ctrl-C reaches only the supervisor that stops it. */
  detached?: boolean;
  /** Where the Web UI asks to decode encrypted payloads (capflow API's /codec). */
  codecEndpoint?: string;
}

export interface DevServer {
  process: ChildProcess;
  address: string;
  uiUrl: string | undefined;
  stop(): Promise<void>;
}

const searchAttributeFlags = searchAttributeKeys.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);

/** Starts the official `temporal server start-dev` with capflow's search attributes registered. */
export async function startTemporalDevServer(options: DevServerOptions): Promise<DevServer> {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  if (options.dbFile) mkdirSync(path.dirname(options.dbFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--log-level',
    'warn',
    ...(options.headless ? ['--headless'] : ['--ui-port', String(options.uiPort), '--ui-disable-news-fetch']),
    ...(options.dbFile ? ['--db-filename', options.dbFile] : []),
    ...(options.codecEndpoint && !options.headless ? ['--ui-codec-endpoint', options.codecEndpoint] : []),
    ...(options.namespace && options.namespace !== 'default' ? ['--namespace', options.namespace] : []),
    ...searchAttributeFlags,
  ];
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const child = spawn(options.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  child.stdout.pipe(log);
  child.stderr.pipe(log);

  const address = `127.0.0.1:${options.port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`temporal dev server exited (code ${code}, signal ${signal}); see ${options.logFile}:\n${tailOf(options.logFile)}`)),
    ),
  );
  exited.catch(() => undefined);
  await Promise.race([waitUntilServing(address, 60_000), exited]);

  return {
    process: child,
    address,
    uiUrl: options.headless ? undefined : `http://localhost:${options.uiPort}`,
    stop: () => stopChild(child, 15_000),
  };
}

async function waitUntilServing(address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`temporal dev server at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}
