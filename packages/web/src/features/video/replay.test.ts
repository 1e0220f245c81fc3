import { describe, expect, it } from 'vitest';
import { currentChapter, formatClock, type ReplayChapter } from './replay.ts';

const ch = (at: number, productId = `p${at}`): ReplayChapter => ({
  at,
  productId,
  title: productId,
});

describe('currentChapter', () => {
  const chapters = [ch(0), ch(12.5), ch(40)];

  it('is the last chapter that started', () => {
    expect(currentChapter(chapters, 0)).toBe(0);
    expect(currentChapter(chapters, 12)).toBe(0);
    expect(currentChapter(chapters, 12.5)).toBe(1);
    expect(currentChapter(chapters, 39.5)).toBe(1);
    expect(currentChapter(chapters, 40)).toBe(2);
    expect(currentChapter(chapters, 5000)).toBe(2);
  });

  it('counts a seek that lands just before a chapter as that chapter', () => {
    expect(currentChapter(chapters, 12.4)).toBe(1);
  });

  it('is -1 before the first chapter, with none, or without a time', () => {
    expect(currentChapter([ch(3)], 1)).toBe(-1);
    expect(currentChapter([], 10)).toBe(-1);
    expect(currentChapter(chapters, Number.NaN)).toBe(-1);
  });
});

describe('formatClock', () => {
  it('writes m:ss', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(5.9)).toBe('0:05');
    expect(formatClock(65)).toBe('1:05');
    expect(formatClock(600)).toBe('10:00');
  });

  it('adds hours from an hour on', () => {
    expect(formatClock(3600)).toBe('1:00:00');
    expect(formatClock(3725)).toBe('1:02:05');
  });

  it('treats negative and non-finite as zero', () => {
    expect(formatClock(-3)).toBe('0:00');
    expect(formatClock(Number.NaN)).toBe('0:00');
    expect(formatClock(Infinity)).toBe('0:00');
  });
});
