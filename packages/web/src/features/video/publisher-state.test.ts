import { describe, expect, it } from 'vitest';
import {
  replacedBySomeoneElse,
  cameraErrorKind,
  initialPublisherState,
  phaseOf,
  publisherReducer,
  whipErrorKind,
  type PublisherAction,
  type PublisherState,
} from './publisher-state.ts';

const run = (actions: PublisherAction[], from: PublisherState = initialPublisherState) =>
  actions.reduce(publisherReducer, from);

describe('publisher state', () => {
  it('goes offline → preview → connecting → live', () => {
    const steps: PublisherAction[] = [
      { type: 'camera', status: 'starting' },
      { type: 'camera', status: 'on' },
      { type: 'publish' },
      { type: 'connected', at: 1000 },
    ];
    const phases = steps.map((_, i) => phaseOf(run(steps.slice(0, i + 1))));
    expect(phaseOf(initialPublisherState)).toBe('offline');
    expect(phases).toEqual(['offline', 'preview', 'connecting', 'live']);
    expect(run(steps).liveSince).toBe(1000);
  });

  it('reconnects after a blip; on air again counts from the reconnection', () => {
    const live = run([
      { type: 'camera', status: 'on' },
      { type: 'publish' },
      { type: 'connected', at: 1000 },
    ]);
    const lost = run([{ type: 'lost' }], live);
    expect(phaseOf(lost)).toBe('reconnecting');
    const waiting = run([{ type: 'retry', attempt: 2, at: 5000 }], lost);
    expect(waiting).toMatchObject({ attempt: 2, retryAt: 5000 });
    // liveSince stays while reconnecting
    expect(waiting.liveSince).toBe(1000);
    const back = run([{ type: 'connected', at: 9000 }], waiting);
    expect(phaseOf(back)).toBe('live');
    expect(back).toMatchObject({ attempt: 0, retryAt: null, error: null, liveSince: 9000 });
  });

  it('stops on a fatal error, keeping the preview and the reason', () => {
    const s = run([
      { type: 'camera', status: 'on' },
      { type: 'publish' },
      { type: 'failed', error: { kind: 'unauthorized' } },
    ]);
    expect(phaseOf(s)).toBe('preview');
    expect(s.error).toEqual({ kind: 'unauthorized' });
    // Publishing again clears it.
    expect(run([{ type: 'publish' }], s).error).toBeNull();
  });

  it('ignores connection news when not broadcasting', () => {
    const s = run([{ type: 'camera', status: 'on' }]);
    expect(run([{ type: 'connected', at: 1 }], s)).toBe(s);
    expect(run([{ type: 'lost' }], s)).toBe(s);
    expect(run([{ type: 'retry', attempt: 1, at: 2 }], s)).toBe(s);
  });

  it('a second publish while on air changes nothing', () => {
    const live = run([
      { type: 'camera', status: 'on' },
      { type: 'publish' },
      { type: 'connected', at: 1 },
    ]);
    expect(run([{ type: 'publish' }], live)).toBe(live);
  });

  it('stopping goes back to the preview, or offline without a camera', () => {
    const live = run([
      { type: 'camera', status: 'on' },
      { type: 'publish' },
      { type: 'connected', at: 1 },
    ]);
    expect(phaseOf(run([{ type: 'stopped' }], live))).toBe('preview');
    expect(phaseOf(run([{ type: 'stopped' }, { type: 'camera', status: 'off' }], live))).toBe(
      'offline',
    );
  });

  it('a camera that fails is off with the reason; a camera that works clears it', () => {
    const s = run([
      { type: 'camera', status: 'starting' },
      { type: 'camera-failed', error: { kind: 'camera-denied' } },
    ]);
    expect(s).toMatchObject({ camera: 'off', error: { kind: 'camera-denied' } });
    expect(run([{ type: 'camera', status: 'on' }], s).error).toBeNull();
    // …but not a publishing error.
    const u = run([
      { type: 'failed', error: { kind: 'unauthorized' } },
      { type: 'camera', status: 'on' },
    ]);
    expect(u.error).toEqual({ kind: 'unauthorized' });
    // A device switch that fails keeps the camera that works.
    const on = run([
      { type: 'camera', status: 'on' },
      { type: 'camera-failed', error: { kind: 'camera-busy' }, stillOn: true },
    ]);
    expect(on).toMatchObject({ camera: 'on', error: { kind: 'camera-busy' } });
  });
});

describe('error kinds', () => {
  it('names getUserMedia failures', () => {
    const e = (name: string) => Object.assign(new Error('x'), { name });
    expect(cameraErrorKind(e('NotAllowedError'))).toBe('camera-denied');
    expect(cameraErrorKind(e('NotFoundError'))).toBe('camera-missing');
    expect(cameraErrorKind(e('OverconstrainedError'))).toBe('camera-missing');
    expect(cameraErrorKind(e('NotReadableError'))).toBe('camera-busy');
    expect(cameraErrorKind(e('SecurityError'))).toBe('camera-insecure');
    expect(cameraErrorKind(new TypeError('no mediaDevices'))).toBe('camera-other');
    expect(cameraErrorKind(null)).toBe('camera-other');
  });

  it('names WHIP failures', () => {
    expect(whipErrorKind(0, 'NETWORK')).toBe('network');
    expect(whipErrorKind(401, 'UNAUTHENTICATED')).toBe('unauthorized');
    expect(whipErrorKind(403, 'FORBIDDEN')).toBe('unauthorized');
    expect(whipErrorKind(409, 'LIVE_NOT_LIVE')).toBe('not-live');
    expect(whipErrorKind(404, 'NOT_FOUND')).toBe('not-live');
    expect(whipErrorKind(422, 'UNSUPPORTED_CODEC')).toBe('rejected');
    expect(whipErrorKind(503, 'SERVER')).toBe('network');
    expect(whipErrorKind(429, 'RATE_LIMITED')).toBe('network');
  });
});

describe('replacedBySomeoneElse', () => {
  it('is our own announcement right after we connect', () => {
    expect(replacedBySomeoneElse({ hostLiveAt: 10_300, connectedAt: 10_000, lostAt: 60_000 })).toBe(
      false,
    );
    expect(replacedBySomeoneElse({ hostLiveAt: 10_300, connectedAt: 10_000, lostAt: 12_000 })).toBe(
      false,
    );
  });

  it('is someone else when the stream came on air long after us and we lost ours just after', () => {
    expect(replacedBySomeoneElse({ hostLiveAt: 50_000, connectedAt: 10_000, lostAt: 53_500 })).toBe(
      true,
    );
  });

  it('is a plain network blip when that announcement is old or missing', () => {
    expect(replacedBySomeoneElse({ hostLiveAt: 50_000, connectedAt: 10_000, lostAt: 70_000 })).toBe(
      false,
    );
    expect(replacedBySomeoneElse({ hostLiveAt: null, connectedAt: 10_000, lostAt: 70_000 })).toBe(
      false,
    );
    expect(replacedBySomeoneElse({ hostLiveAt: 50_000, connectedAt: null, lostAt: 51_000 })).toBe(
      false,
    );
  });
});
