import { describe, expect, it } from 'vitest';
import { photoProblem } from './photo-rules.ts';

describe('photoProblem', () => {
  it('accepts the photo types the server takes', () => {
    expect(photoProblem({ size: 1000, type: 'image/jpeg', name: 'a.jpg' })).toBeNull();
    expect(photoProblem({ size: 1000, type: 'image/heic', name: 'a.heic' })).toBeNull();
    expect(photoProblem({ size: 1000, type: '', name: 'IMG_1.HEIC' })).toBeNull();
  });
  it('refuses large files and other types before uploading', () => {
    expect(photoProblem({ size: 9 * 1024 * 1024, type: 'image/jpeg', name: 'a.jpg' })).toBe(
      'tooLarge',
    );
    expect(photoProblem({ size: 1000, type: 'application/pdf', name: 'a.pdf' })).toBe('wrongType');
    expect(photoProblem({ size: 1000, type: 'image/gif', name: 'a.gif' })).toBe('wrongType');
  });
});
