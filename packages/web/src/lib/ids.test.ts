import { afterEach, describe, expect, it, vi } from 'vitest';
import { newUuid } from './ids.ts';

const V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newUuid', () => {
  afterEach(() => vi.unstubAllGlobals());
  it('makes v4 uuids', () => {
    expect(newUuid()).toMatch(V4);
    expect(newUuid()).not.toBe(newUuid());
  });
  it('works where randomUUID is missing (plain http)', () => {
    const real = globalThis.crypto;
    vi.stubGlobal('crypto', { getRandomValues: (a: Uint8Array) => real.getRandomValues(a) });
    expect(newUuid()).toMatch(V4);
  });
});
