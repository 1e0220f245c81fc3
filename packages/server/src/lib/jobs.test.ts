import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../db/client.ts';
import { createTestDatabase } from '../test/test-app.ts';
import { createJobs, type Jobs } from './jobs.ts';

describe('jobs (pg-boss over the same database)', () => {
  let database: Database;
  let dropDatabase: () => Promise<void> = async () => {};
  let jobs: Jobs;
  const ran: Array<{ n: number; attempt: number }> = [];
  let failuresLeft = 2;

  beforeAll(async () => {
    const made = await createTestDatabase();
    if (made) dropDatabase = made.drop;
    database = await openDatabase(made?.url ?? 'memory://', '/tmp');
    jobs = createJobs({ raw: database.raw, pollSeconds: 0.5, log: { error: () => {} } });
    jobs.define<{ n: number }>(
      'test-job',
      async (data, job) => {
        if (data.n === 2 && failuresLeft-- > 0) throw new Error('not yet');
        ran.push({ n: data.n, attempt: job.retryCount });
      },
      { retryLimit: 3, retryDelaySeconds: 1, retryBackoff: false, expireInSeconds: 30 },
    );
    await jobs.start();
  });

  afterAll(async () => {
    await jobs.stop();
    await database.close();
    await dropDatabase();
  });

  it('runs a job once, and retries a failing one until it succeeds', async () => {
    await jobs.send('test-job', { n: 1 });
    await jobs.send('test-job', { n: 2 });
    const deadline = Date.now() + 15_000;
    while (ran.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(ran.find((r) => r.n === 1)).toEqual({ n: 1, attempt: 0 });
    expect(ran.find((r) => r.n === 2)).toEqual({ n: 2, attempt: 2 });
  });
});
