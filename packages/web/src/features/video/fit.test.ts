import { describe, expect, it } from 'vitest';
import { hlsEngine, videoFit } from './fit.ts';

describe('videoFit', () => {
  it('fills a portrait phone with a portrait stream', () => {
    expect(videoFit(360, 640, 390, 844)).toBe('cover');
    expect(videoFit(480, 640, 390, 844)).toBe('contain'); // 4:3 portrait on a tall phone keeps 65 %
    expect(videoFit(720, 1280, 412, 732)).toBe('cover');
  });

  it('shows a landscape stream whole on a portrait phone', () => {
    expect(videoFit(640, 360, 390, 844)).toBe('contain');
  });

  it('contains on landscape screens and desktops', () => {
    expect(videoFit(640, 360, 844, 390)).toBe('contain');
    expect(videoFit(1280, 720, 1440, 900)).toBe('contain');
  });

  it('covers until the picture size is known', () => {
    expect(videoFit(0, 0, 390, 844)).toBe('cover');
    expect(videoFit(640, 360, 0, 0)).toBe('cover');
  });
});

describe('hlsEngine', () => {
  it('uses Safari’s own player on iPhone, hls.js elsewhere', () => {
    expect(hlsEngine({ native: true, mse: true, appleTouch: true })).toBe('native');
    expect(hlsEngine({ native: true, mse: false, appleTouch: false })).toBe('native');
    expect(hlsEngine({ native: false, mse: true, appleTouch: false })).toBe('hlsjs');
    // Desktop browsers that can do both get hls.js (its low-latency mode and error events).
    expect(hlsEngine({ native: true, mse: true, appleTouch: false })).toBe('hlsjs');
    expect(hlsEngine({ native: false, mse: false, appleTouch: false })).toBeNull();
  });
});
