import { describe, expect, it } from 'vitest';
import { deviceOptions, loadDeviceChoice, mediaConstraints, saveDeviceChoice } from './devices.ts';

describe('mediaConstraints', () => {
  it('asks for 360p at 24 fps and the front camera when nothing was chosen', () => {
    const c = mediaConstraints({ cameraId: null, micId: null });
    expect(c.video).toEqual({
      facingMode: { ideal: 'user' },
      width: { ideal: 640 },
      height: { ideal: 360 },
      frameRate: { ideal: 24, max: 30 },
    });
    expect(c.audio).toMatchObject({ echoCancellation: true, noiseSuppression: true });
  });

  it('prefers a remembered device and insists on one picked now', () => {
    const remembered = mediaConstraints({ cameraId: 'cam1', micId: 'mic1' });
    expect(remembered.video).toMatchObject({ deviceId: { ideal: 'cam1' } });
    expect(remembered.video).not.toHaveProperty('facingMode');
    expect(remembered.audio).toMatchObject({ deviceId: { ideal: 'mic1' } });
    const picked = mediaConstraints({ cameraId: 'cam2', micId: null }, true);
    expect(picked.video).toMatchObject({ deviceId: { exact: 'cam2' } });
    expect(picked.audio).not.toHaveProperty('deviceId');
  });
});

describe('deviceOptions', () => {
  const list = [
    { kind: 'audioinput', deviceId: 'default', label: 'Default - Mic' },
    { kind: 'audioinput', deviceId: 'communications', label: 'Communications' },
    { kind: 'audioinput', deviceId: 'm1', label: '' },
    { kind: 'videoinput', deviceId: 'c1', label: 'Front camera' },
    { kind: 'videoinput', deviceId: 'c1', label: 'Front camera' },
    { kind: 'videoinput', deviceId: '', label: '' },
    { kind: 'audiooutput', deviceId: 's1', label: 'Speaker' },
  ];
  it('lists each device once, naming unnamed ones', () => {
    expect(deviceOptions(list, 'videoinput', (n) => `Camera ${n}`)).toEqual([
      { id: 'c1', label: 'Front camera' },
    ]);
    expect(deviceOptions(list, 'audioinput', (n) => `Mic ${n}`)).toEqual([
      { id: 'default', label: 'Default - Mic' },
      { id: 'm1', label: 'Mic 2' },
    ]);
  });
});

describe('remembered choice', () => {
  it('round-trips and survives garbage', () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    };
    expect(loadDeviceChoice(storage)).toEqual({ cameraId: null, micId: null });
    saveDeviceChoice({ cameraId: 'c1', micId: 'm1' }, storage);
    expect(loadDeviceChoice(storage)).toEqual({ cameraId: 'c1', micId: 'm1' });
    store.set('cunbo.studio.devices', '{not json');
    expect(loadDeviceChoice(storage)).toEqual({ cameraId: null, micId: null });
    store.set('cunbo.studio.devices', JSON.stringify({ cameraId: 5 }));
    expect(loadDeviceChoice(storage)).toEqual({ cameraId: null, micId: null });
    expect(loadDeviceChoice(null)).toEqual({ cameraId: null, micId: null });
  });
});
