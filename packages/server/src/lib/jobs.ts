import PgBoss from 'pg-boss';
import type { RawSql } from '../db/client.ts';

/**
 * Background jobs (webhook deliveries, payment holds that expire, the sandbox carrier's
 * tracking events), kept in the same database as everything else by pg-boss: a job sent in a
 * request survives a crash, is retried with backoff, and runs once even with several server
 * processes. No home-made queue.
 */

export interface JobOptions {
  /** Attempts after the first one fails. */
  retryLimit: number;
  /** Seconds before the first retry; doubled each time when `retryBackoff`. */
  retryDelaySeconds: number;
  retryBackoff: boolean;
  /** A job running longer than this is taken as failed (and retried). */
  expireInSeconds: number;
}

export interface SendOptions {
  /** Run at this moment, not before. */
  startAfter?: Date;
}

export interface JobContext {
  id: string;
  /** 0 on the first attempt. */
  retryCount: number;
}

export type JobHandler<T> = (data: T, job: JobContext) => Promise<void>;

export interface Jobs {
  /** Declares a queue and the handler that runs its jobs. Before `start()`. */
  define<T extends object>(name: string, handler: JobHandler<T>, options: JobOptions): void;
  /**
   * Queues a job; returns its id. Handlers must be idempotent: a job whose process died
   * mid-run runs again after `expireInSeconds`.
   */
  send<T extends object>(name: string, data: T, options?: SendOptions): Promise<string>;
  /** Creates pg-boss's tables if needed, the queues, and starts polling. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface JobsLog {
  error(obj: object, msg: string): void;
}

/** Jobs a worker takes per fetch and runs at once. */
const BATCH = 20;

function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}

export function createJobs(deps: {
  raw: RawSql;
  /** How often each queue looks for work. pg-boss allows 0.5 s at the least. */
  pollSeconds: number;
  log: JobsLog;
}): Jobs {
  const boss = new PgBoss({
    db: deps.raw,
    // Maintenance (expiring and archiving jobs) runs in whichever process gets there first.
    supervise: true,
    schedule: false,
    migrate: true,
  });
  boss.on('error', (err) => deps.log.error({ err }, 'job queue error'));
  const queues = new Map<string, { handler: JobHandler<object>; options: JobOptions }>();
  /** This process's worker of each queue, to wake it when there is work now. */
  const workers = new Map<string, string>();
  let started = false;
  const wake = (name: string) => {
    const worker = workers.get(name);
    if (worker) boss.notifyWorker(worker);
  };

  return {
    define(name, handler, options) {
      if (started) throw new Error(`Queue ${name} defined after the job queue started`);
      queues.set(name, { handler: handler as JobHandler<object>, options });
    },

    async send(name, data, options = {}) {
      if (!queues.has(name)) throw new Error(`Unknown queue ${name}`);
      const id = await boss.send(name, data, {
        ...(options.startAfter && { startAfter: options.startAfter }),
      });
      if (!id) throw new Error(`The job queue did not take a ${name} job`);
      // Due now: this process's worker fetches at once instead of at its next poll.
      if (!options.startAfter || options.startAfter.getTime() <= Date.now()) wake(name);
      return id;
    },

    async start() {
      started = true;
      await boss.start();
      for (const [name, { handler, options }] of queues) {
        await boss.createQueue(name, {
          name,
          retryLimit: options.retryLimit,
          retryDelay: options.retryDelaySeconds,
          retryBackoff: options.retryBackoff,
          expireInSeconds: options.expireInSeconds,
        });
        const worker = await boss.work<object>(
          name,
          { pollingIntervalSeconds: deps.pollSeconds, batchSize: BATCH, includeMetadata: true },
          async (jobs) => {
            // Each job of the batch runs on its own: one that fails is retried alone (pg-boss
            // completes the others, still active, when this returns).
            const results = await Promise.allSettled(
              jobs.map((job) => handler(job.data, { id: job.id, retryCount: job.retryCount })),
            );
            const failed = results.flatMap((r, i) =>
              r.status === 'rejected' ? [{ id: jobs[i]!.id, reason: r.reason as unknown }] : [],
            );
            for (const f of failed) {
              await boss.fail(name, f.id, { message: errorMessage(f.reason) });
            }
            // A full batch means more may be waiting: fetch again without waiting a poll.
            if (jobs.length === BATCH) wake(name);
          },
        );
        workers.set(name, worker);
      }
    },

    async stop() {
      if (!started) return;
      started = false;
      await boss.stop({ graceful: true, wait: true, timeout: 5000 });
    },
  };
}
