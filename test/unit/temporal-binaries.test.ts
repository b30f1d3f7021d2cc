import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pinnedWheels, resolveTemporalCli } from '../../scripts/temporal-binaries';

describe('finding the temporal CLI', () => {
  const saved = { TEMPORAL_CLI: process.env.TEMPORAL_CLI, PATH: process.env.PATH };
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  });
  afterEach(() => {
    process.env.PATH = saved.PATH;
    if (saved.TEMPORAL_CLI === undefined) delete process.env.TEMPORAL_CLI;
    else process.env.TEMPORAL_CLI = saved.TEMPORAL_CLI;
    rmSync(dir, { recursive: true, force: true });
  });

  const fakeBinary = (name: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o755);
    return file;
  };

  it('prefers TEMPORAL_CLI over PATH', async () => {
    const explicit = fakeBinary('my-temporal');
    fakeBinary('temporal');
    process.env.TEMPORAL_CLI = explicit;
    process.env.PATH = dir;
    await expect(resolveTemporalCli()).resolves.toBe(explicit);
  });

  it('uses temporal on PATH when TEMPORAL_CLI is unset', async () => {
    delete process.env.TEMPORAL_CLI;
    const onPath = fakeBinary('temporal');
    process.env.PATH = dir;
    await expect(resolveTemporalCli()).resolves.toBe(onPath);
  });

  it('refuses a TEMPORAL_CLI that is not an executable file', async () => {
    process.env.TEMPORAL_CLI = path.join(dir, 'missing');
    await expect(resolveTemporalCli()).rejects.toThrow(/TEMPORAL_CLI=.* is not an executable file/);
  });

  it('pins exact wheel versions', () => {
    for (const tool of Object.values(pinnedWheels)) expect(tool.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
