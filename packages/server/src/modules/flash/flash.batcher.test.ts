import { describe, expect, it } from 'vitest';
import { GroupCommit } from './flash.batcher.ts';

/** A commit that records its batches and finishes when the test says so. */
function recorder() {
  const batches: number[][] = [];
  const pending: Array<() => void> = [];
  const handOvers: Array<() => void> = [];
  const commit = (items: number[], handOver: () => void) =>
    new Promise<Array<number | Error>>((resolve) => {
      batches.push(items);
      handOvers.push(handOver);
      pending.push(() => resolve(items.map((i) => (i < 0 ? new Error(`bad ${i}`) : i * 10))));
    });
  const finishNext = async () => {
    while (pending.length === 0) await new Promise((r) => setImmediate(r));
    pending.shift()!();
  };
  return { batches, commit, finishNext, handOvers };
}

describe('GroupCommit', () => {
  it('sends the items of one event-loop turn in one batch, then those that came meanwhile', async () => {
    const r = recorder();
    const group = new GroupCommit<number, number>(r.commit, 100);
    // Three taps read in the same turn: one batch, not a batch of the first alone.
    const first = [1, 2, 3].map((i) => group.submit(i));
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toEqual([[1, 2, 3]]);
    // Taps that arrive while it commits wait, and go together next.
    const second = [4, 5].map((i) => group.submit(i));
    expect(r.batches).toHaveLength(1);
    await r.finishNext();
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    await r.finishNext();
    expect(r.batches).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(await Promise.all(second)).toEqual([40, 50]);
  });

  it('keeps batches within the maximum, rejects only the failed items and reports idle', async () => {
    const r = recorder();
    let idle = 0;
    const group = new GroupCommit<number, number>(r.commit, 2, () => idle++);
    const results = [1, -2, 3].map((i) =>
      group.submit(i).then(
        (v) => v,
        (e: Error) => e.message,
      ),
    );
    await r.finishNext();
    await r.finishNext();
    expect(r.batches).toEqual([[1, -2], [3]]);
    expect(await Promise.all(results)).toEqual([10, 'bad -2', 30]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(1);
    expect(group.pending).toBe(0);
  });

  it('pipelined: the next batch starts once the one committing hands over, in order', async () => {
    const r = recorder();
    const group = new GroupCommit<number, number>(r.commit, 100, undefined, true);
    const first = [1, 2].map((i) => group.submit(i));
    await new Promise((resolve) => setImmediate(resolve));
    const second = [3, 4].map((i) => group.submit(i));
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toEqual([[1, 2]]); // the first holds the row: the others wait
    r.handOvers[0]!(); // it sends its last statement
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toEqual([
      [1, 2],
      [3, 4],
    ]); // the second lines up while the first commits
    const third = group.submit(5);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toHaveLength(2); // the second has not handed over
    await r.finishNext();
    await r.finishNext();
    expect(await Promise.all([...first, ...second])).toEqual([10, 20, 30, 40]);
    await r.finishNext(); // a batch that ends without handing over lets the next one start
    expect(r.batches[2]).toEqual([5]);
    expect(await third).toBe(50);
  });

  it('not pipelined: handing over changes nothing, the next batch waits for the end', async () => {
    const r = recorder();
    const group = new GroupCommit<number, number>(r.commit, 100);
    const first = group.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const second = group.submit(2);
    r.handOvers[0]!();
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.batches).toEqual([[1]]);
    await r.finishNext();
    expect(await first).toBe(10);
    await r.finishNext();
    expect(await second).toBe(20);
    expect(r.batches).toEqual([[1], [2]]);
  });

  it('rejects the whole batch when the commit throws, and goes on with the next', async () => {
    let calls = 0;
    const group = new GroupCommit<number, number>(async (items) => {
      calls += 1;
      if (calls === 1) throw new Error('database gone');
      return items;
    }, 10);
    const a = group.submit(1).catch((e: Error) => e.message);
    expect(await a).toBe('database gone');
    expect(await group.submit(2)).toBe(2);
  });
});
