import { spawn } from 'node:child_process';
import { resolveTemporalCli } from './temporal-binaries';

/**
 * `npm run temporal -- <args>`: the same `temporal` CLI the local stack uses, e.g.
 * `npm run temporal -- workflow list --query "CapabilityState='Complete'"`.
 */
async function main(): Promise<void> {
  const cli = await resolveTemporalCli((m) => process.stderr.write(`[capflow] ${m}\n`));
  const child = spawn(cli, process.argv.slice(2), { stdio: 'inherit' });
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
