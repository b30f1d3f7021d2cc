import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';

/**
 * A processing executor (`POST /jobs`, `GET /jobs/:id`, `DELETE /jobs/:id`). A job runs for
 * `parameters.durationMs` (default 2 s), reports `progress` 0..1, and on success writes its
 * products — three small files and a `manifest.json` with their sizes and SHA-256 — to
 * `<stagingDir>/<jobId>/`. `parameters.outcome`: `fail` fails half-way, `hang` stops making
 * progress forever, `hang-first` hangs only a first attempt (a job key ending in `/a1`), `corrupt` writes a manifest whose checksum does not match one file.
 * The same `jobKey` again is the same job (a retried submission does not start a second).
 */
export interface ProcessingExecutorOptions {
  stagingDir: string;
}

interface Job {
  id: string;
  key: string | undefined;
  startedAt: number;
  durationMs: number;
  outcome: 'succeed' | 'fail' | 'hang' | 'hang-first' | 'corrupt';
  state: 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: number;
  error?: string;
}

export interface ProcessingExecutor {
  app: Express;
  jobs: Map<string, Job>;
}

export function createProcessingExecutor(options: ProcessingExecutorOptions): ProcessingExecutor {
  const app = express();
  app.use(express.json());
  const jobs = new Map<string, Job>();
  const byKey = new Map<string, string>();
  let next = 1;

  const advance = (job: Job) => {
    if (job.state !== 'running') return;
    const elapsed = Date.now() - job.startedAt;
    if (job.outcome === 'hang' || (job.outcome === 'hang-first' && job.key?.endsWith('/a1'))) {
      job.progress = Math.min(0.3, elapsed / job.durationMs);
      return;
    }
    job.progress = Math.min(1, elapsed / job.durationMs);
    if (job.outcome === 'fail' && job.progress >= 0.5) {
      job.state = 'failed';
      job.error = 'calibration diverged at iteration 12';
    } else if (job.progress >= 1) {
      writeProducts(options.stagingDir, job);
      job.state = 'succeeded';
    }
  };

  app.post('/jobs', (req, res) => {
    const body = (req.body ?? {}) as { jobKey?: string; parameters?: { durationMs?: number; outcome?: Job['outcome'] } };
    const existing = body.jobKey ? byKey.get(body.jobKey) : undefined;
    if (existing) {
      res.status(200).json({ id: existing });
      return;
    }
    const id = `job-${next++}`;
    jobs.set(id, {
      id,
      key: body.jobKey,
      startedAt: Date.now(),
      durationMs: body.parameters?.durationMs ?? 2_000,
      outcome: body.parameters?.outcome ?? 'succeed',
      state: 'running',
      progress: 0,
    });
    if (body.jobKey) byKey.set(body.jobKey, id);
    res.status(201).json({ id });
  });

  app.get('/jobs/:id', (req, res) => {
    const job = jobs.get(req.params.id);
    if (!job) {
      res.status(404).json({ error: 'no such job' });
      return;
    }
    advance(job);
    res.json({ id: job.id, state: job.state, progress: job.progress, ...(job.error ? { error: job.error } : {}), ...(job.state === 'succeeded' ? { productsPath: job.id } : {}) });
  });

  app.delete('/jobs/:id', (req, res) => {
    const job = jobs.get(req.params.id);
    if (!job) {
      res.status(404).json({ error: 'no such job' });
      return;
    }
    if (job.state === 'running') job.state = 'cancelled';
    if (job.key) byKey.delete(job.key);
    res.json({ id: job.id, state: job.state });
  });

  return { app, jobs };
}

function writeProducts(stagingDir: string, job: Job): void {
  const dir = path.join(stagingDir, job.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = [
    ['calibrated.ms', `calibrated visibilities for ${job.id}\n`.repeat(20)],
    ['gains.tbl', `gain table ${job.id}\n`.repeat(10)],
    ['weblog.html', `<html><body>weblog of ${job.id}</body></html>\n`],
  ] as const;
  const manifest = files.map(([name, content]) => {
    writeFileSync(path.join(dir, name), content);
    const sha256 = createHash('sha256').update(content).digest('hex');
    return { name, size: Buffer.byteLength(content), sha256: job.outcome === 'corrupt' && name === 'gains.tbl' ? '0'.repeat(64) : sha256 };
  });
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ job: job.id, products: manifest }, null, 2));
}
