import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { API_BASE } from '../../api/client.ts';
import {
  deviceOptions,
  loadDeviceChoice,
  saveDeviceChoice,
  type DeviceChoice,
  type DeviceOption,
} from '../video/devices.ts';
import { absoluteUrl } from '../video/live-video.tsx';
import { Publisher } from '../video/publisher.ts';
import {
  initialPublisherState,
  phaseOf,
  type PublisherPhase,
  type PublisherState,
} from '../video/publisher-state.ts';
import { UNKNOWN_HEALTH, type UplinkHealth } from '../video/uplink-health.ts';

/** Where OBS and the studio publish: `<origin>/api/v1/lives/:id/whip`. */
export const whipUrl = (liveId: string) => absoluteUrl(`${API_BASE}/lives/${liveId}/whip`);

export interface Broadcast {
  state: PublisherState;
  phase: PublisherPhase;
  health: UplinkHealth;
  /** The camera for the preview. */
  stream: MediaStream | null;
  /** Cameras and microphones; `unnamed(n)` names those without a label. */
  devices(kind: 'videoinput' | 'audioinput', unnamed: (n: number) => string): DeviceOption[];
  choice: DeviceChoice;
  startCamera(): void;
  pickCamera(id: string): void;
  pickMic(id: string): void;
  /** Turns the camera on if needed and goes on air; false when there is no camera. */
  goOnAir(): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * The host's camera and WHIP broadcast for one show, published with the show's stream key
 * (the WHIP endpoint does not take the session cookie). The camera starts while `cameraOn`
 * (the show is not over) and everything stops when it turns false or the page goes.
 */
export function useBroadcast(opts: {
  liveId: string;
  streamKey: string | undefined;
  cameraOn: boolean;
  /** The room's `stream` state and when it last spoke, to notice another publisher. */
  hostStream: 'live' | 'reconnecting' | 'offline' | null;
  hostStreamAt: number | null;
}): Broadcast {
  const { liveId, streamKey, cameraOn, hostStream, hostStreamAt } = opts;
  const ref = useRef<Publisher | null>(null);
  const [state, setState] = useState<PublisherState>(initialPublisherState);
  const [health, setHealth] = useState<UplinkHealth>(UNKNOWN_HEALTH);
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [choice, setChoice] = useState<DeviceChoice>(() => loadDeviceChoice());

  const remember = useCallback((used: DeviceChoice | null) => {
    if (!used) return;
    setChoice((prev) => {
      const next = { cameraId: used.cameraId ?? prev.cameraId, micId: used.micId ?? prev.micId };
      saveDeviceChoice(next);
      return next;
    });
    navigator.mediaDevices
      ?.enumerateDevices()
      .then(setDevices)
      .catch(() => undefined);
  }, []);

  useEffect(() => {
    if (!streamKey) return;
    const publisher = new Publisher(
      { url: whipUrl(liveId), token: streamKey },
      { onState: setState, onHealth: setHealth, onStream: setStream },
    );
    ref.current = publisher;
    const retry = () => publisher.retryNow();
    const leave = () => void publisher.dispose({ keepalive: true });
    const devicesChanged = () =>
      navigator.mediaDevices
        ?.enumerateDevices()
        .then(setDevices)
        .catch(() => undefined);
    window.addEventListener('online', retry);
    window.addEventListener('pagehide', leave);
    navigator.mediaDevices?.addEventListener?.('devicechange', devicesChanged);
    return () => {
      window.removeEventListener('online', retry);
      window.removeEventListener('pagehide', leave);
      navigator.mediaDevices?.removeEventListener?.('devicechange', devicesChanged);
      ref.current = null;
      void publisher.dispose();
    };
  }, [liveId, streamKey]);

  // The preview starts when the page opens (the host came here to go live).
  useEffect(() => {
    const publisher = ref.current;
    if (!publisher || !cameraOn) return;
    void publisher.startCamera(loadDeviceChoice()).then(remember);
    return () => void publisher.dispose();
  }, [cameraOn, liveId, streamKey, remember]);

  useEffect(() => {
    if (hostStream) ref.current?.hostStream(hostStream, hostStreamAt ?? Date.now());
  }, [hostStream, hostStreamAt]);

  const actions = useMemo(
    () => ({
      startCamera() {
        void ref.current?.startCamera(loadDeviceChoice()).then(remember);
      },
      pickCamera(id: string) {
        void ref.current?.switchDevice('video', id).then(remember);
      },
      pickMic(id: string) {
        void ref.current?.switchDevice('audio', id).then(remember);
      },
      async goOnAir() {
        const publisher = ref.current;
        if (!publisher) return false;
        if (!publisher.mediaStream) remember(await publisher.startCamera(loadDeviceChoice()));
        return publisher.publish();
      },
      async stop() {
        await ref.current?.stop();
      },
    }),
    [remember],
  );

  const listDevices = useCallback(
    (kind: 'videoinput' | 'audioinput', unnamed: (n: number) => string) =>
      deviceOptions(devices, kind, unnamed),
    [devices],
  );

  return {
    state,
    phase: phaseOf(state),
    health,
    stream,
    devices: listDevices,
    choice,
    ...actions,
  };
}
