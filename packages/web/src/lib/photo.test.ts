import { describe, expect, it } from 'vitest';
import { photoAt, photoSrcSet } from './photo.ts';

describe('photo urls', () => {
  it('asks for another width', () => {
    expect(photoAt('/api/v1/photos/p1?w=640', 320)).toBe('/api/v1/photos/p1?w=320');
    expect(photoAt('/api/v1/photos/p1', 1280)).toBe('/api/v1/photos/p1?w=1280');
  });
  it('builds a srcset of the three widths', () => {
    expect(photoSrcSet('/api/v1/photos/p1?w=640')).toBe(
      '/api/v1/photos/p1?w=320 320w, /api/v1/photos/p1?w=640 640w, /api/v1/photos/p1?w=1280 1280w',
    );
  });
});
