import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The repository root, whether running from `scripts/` (ts) or `dist/scripts/` (compiled). */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'capflow') return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`capflow's package.json not found above ${__dirname}`);
    dir = parent;
  }
}

/** Local state of `npm start` (databases, logs, dev keys): safe to delete to start over. */
export const dataDir = () => process.env.CAPFLOW_DATA_DIR ?? path.join(projectRoot(), '.data');

/** Binaries the project provisions for itself (Temporal CLI, test server). */
export const toolsDir = () => path.join(projectRoot(), '.tools');
