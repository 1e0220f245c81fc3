import { describe, expect, it } from 'vitest';
import { LikeBatcher, nextLikeTotal, othersLikes } from './like-batcher.ts';

describe('LikeBatcher', () => {
  it('sums taps into one message', () => {
    const b = new LikeBatcher();
    b.tap();
    b.tap();
    b.tap(3);
    expect(b.take()).toBe(5);
    expect(b.take()).toBe(0);
  });

  it('splits a burst into messages the room accepts', () => {
    const b = new LikeBatcher(50);
    b.tap(120);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([50, 50, 20, 0]);
  });

  it('caps what piles up while offline', () => {
    const b = new LikeBatcher(50, 100);
    for (let i = 0; i < 1000; i++) b.tap();
    expect(b.pendingCount).toBe(100);
  });

  it('ignores nonsense counts', () => {
    const b = new LikeBatcher();
    b.tap(0);
    b.tap(-3);
    b.tap(1.5);
    expect(b.take()).toBe(0);
  });
});

describe('nextLikeTotal', () => {
  it('never goes down, so our own optimistic taps do not flicker', () => {
    expect(nextLikeTotal(12, 10)).toBe(12);
    expect(nextLikeTotal(12, 15)).toBe(15);
  });
});

describe('othersLikes', () => {
  it('takes our own sent taps out of the room count', () => {
    expect(othersLikes(10, 3)).toEqual({ others: 7, ownLeft: 0 });
    expect(othersLikes(2, 5)).toEqual({ others: 0, ownLeft: 3 });
    expect(othersLikes(4, 0)).toEqual({ others: 4, ownLeft: 0 });
  });
});
