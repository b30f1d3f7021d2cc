import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveTemporalCli } from '../../scripts/temporal-binaries';
import { requireTestEnv } from './test-env';

/**
 * `RECORD_HISTORIES=1 npm test` refreshes the replay fixtures from real runs: the request's
 * history as `<name>.json` and its first execution's as `<name>.execution.json`. The CLI writes
 * the same JSON an operator gets from `temporal workflow show --output json`.
 */
export async function recordHistoryIfAsked(requestWorkflowId: string, name: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  for (const [workflowId, file] of [
    [requestWorkflowId, name],
    [`${requestWorkflowId}/v1/e1`, `${name}.execution`],
  ] as const) {
    const { stdout } = await promisify(execFile)(
      await resolveTemporalCli(),
      ['workflow', 'show', '--workflow-id', workflowId, '--output', 'json', '--address', requireTestEnv('temporalAddress')],
      { maxBuffer: 64 * 1024 * 1024 },
    );
    writeFileSync(path.join(__dirname, '..', 'fixtures', 'histories', `${file}.json`), stdout);
  }
}
