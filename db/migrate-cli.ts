import { z } from 'zod';
import { loadEnvOrExit, postgresUrl } from '../config/env';
import { migrate } from './migrate';
import { createPool } from './pool';

/** `npm run migrate`: apply migrations without starting a worker or the API (they also migrate on start). */
async function main(): Promise<void> {
  const { DATABASE_URL } = loadEnvOrExit(z.object({ DATABASE_URL: postgresUrl }));
  const db = createPool(DATABASE_URL);
  try {
    const { applied } = await migrate(db);
    process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'up to date\n');
  } finally {
    await db.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`migration failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
