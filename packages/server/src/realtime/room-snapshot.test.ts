import { describe, expect, it } from 'vitest';
import { RoomSnapshots } from './room-snapshot.ts';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('RoomSnapshots', () => {
  it('gives newcomers that ask together one read', async () => {
    const reads: string[] = [];
    const pending = deferred<string>();
    const snapshots = new RoomSnapshots(async (liveId) => {
      reads.push(liveId);
      return pending.promise;
    });
    const a = snapshots.get('live-1', 5);
    const b = snapshots.get('live-1', 5);
    const c = snapshots.get('live-1', 3);
    pending.resolve('state');
    expect(await Promise.all([a, b, c])).toEqual(['state', 'state', 'state']);
    expect(reads).toEqual(['live-1']);
  });

  it('reads again for a newcomer whose seq is newer than the read in flight', async () => {
    const reads: number[] = [];
    const gates = [deferred<string>(), deferred<string>()];
    const snapshots = new RoomSnapshots(async () => {
      reads.push(reads.length);
      return gates[reads.length - 1]!.promise;
    });
    const early = snapshots.get('live-1', 5);
    // An event (seq 6) happened after the first read began: it may not be in it.
    const late = snapshots.get('live-1', 6);
    // A third newcomer at seq 6 shares the second read.
    const later = snapshots.get('live-1', 6);
    gates[0]!.resolve('before');
    gates[1]!.resolve('after');
    expect(await Promise.all([early, late, later])).toEqual(['before', 'after', 'after']);
    expect(reads).toHaveLength(2);
  });

  it('keeps nothing once a read is done, and passes failures on', async () => {
    let n = 0;
    const snapshots = new RoomSnapshots(async (liveId) => {
      n += 1;
      if (liveId === 'gone') throw new Error('no such show');
      return n;
    });
    expect(await snapshots.get('live-1', 1)).toBe(1);
    expect(await snapshots.get('live-1', 1)).toBe(2);
    await expect(snapshots.get('gone', 1)).rejects.toThrow('no such show');
    await expect(snapshots.get('gone', 1)).rejects.toThrow('no such show');
    expect(n).toBe(4);
    // Other rooms never share.
    const [x, y] = await Promise.all([snapshots.get('live-2', 1), snapshots.get('live-3', 1)]);
    expect(x).not.toBe(y);
  });
});
