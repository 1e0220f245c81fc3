import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { autoMediaWorkers, loadConfig } from './config.ts';

describe('MEDIA_WORKERS', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cunbo-config-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const workers = (value?: string) =>
    loadConfig({ DATA_DIR: dataDir, ...(value !== undefined && { MEDIA_WORKERS: value }) }).webrtc
      ?.workers;

  it('keeps viewers in the main thread unless asked (the lowest delay)', () => {
    expect(workers()).toBe(0);
    expect(workers('0')).toBe(0);
  });

  it('takes a number, or auto: one per core but one, at most 8', () => {
    expect(workers('3')).toBe(3);
    expect(workers('auto')).toBe(autoMediaWorkers());
    expect(autoMediaWorkers()).toBe(Math.max(0, Math.min(8, os.availableParallelism() - 1)));
  });

  it('refuses anything else, naming the setting', () => {
    expect(() => workers('many')).toThrow(/MEDIA_WORKERS/);
  });
});
