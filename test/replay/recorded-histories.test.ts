import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { capflowDataConverter } from '../../pii/data-converter';
import { quietSdkLogs, testPayloadKeys } from '../support/test-stack';
import { requireTestEnv } from '../support/test-env';

/**
 * Histories recorded from real runs (see README, "Replay tests"). Replaying them against today's
 * workflow code fails on any change that would break a request already running.
 */
const fixturesDir = path.join(__dirname, '..', 'fixtures', 'histories');
const fixtures = readdirSync(fixturesDir).filter((f) => f.endsWith('.json'));

beforeAll(() => quietSdkLogs());

it('has recorded histories to replay', () => {
  expect(fixtures.length).toBeGreaterThan(0);
});

it.each(fixtures)('replays %s deterministically', async (file) => {
  const history: unknown = JSON.parse(readFileSync(path.join(fixturesDir, file), 'utf8'));
  // Histories recorded since payloads are encrypted decode with the test keys; older ones pass through.
  await Worker.runReplayHistory(
    { workflowBundle: { codePath: requireTestEnv('workflowBundle') }, dataConverter: capflowDataConverter(testPayloadKeys) },
    history,
    path.basename(file, '.json'),
  );
});
