import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** capflow's version from package.json, found from source (`config/`) or compiled (`dist/config/`) code. */
export function appVersion(): string {
  for (const candidate of [path.join(__dirname, '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'capflow' && manifest.version) return manifest.version;
    }
  }
  return '0.0.0';
}
