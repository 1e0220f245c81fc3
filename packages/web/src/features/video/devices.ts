/**
 * Camera and microphone: the getUserMedia constraints for a rural uplink, and the devices the
 * host chose last time on this phone or PC (remembered in localStorage).
 */

export interface DeviceChoice {
  cameraId: string | null;
  micId: string | null;
}

export interface DeviceOption {
  id: string;
  label: string;
}

const STORAGE_KEY = 'cunbo.studio.devices';

/**
 * 640×360 at 24 fps: what ~700 kbit/s carries cleanly. A remembered device is `ideal` (if it
 * was unplugged, another one is used); one picked just now is `exact`.
 */
export function mediaConstraints(choice: DeviceChoice, exact = false): MediaStreamConstraints {
  const device = (id: string | null) =>
    id ? { deviceId: exact ? { exact: id } : { ideal: id } } : {};
  return {
    video: {
      ...device(choice.cameraId),
      ...(!choice.cameraId && { facingMode: { ideal: 'user' } }),
      width: { ideal: 640 },
      height: { ideal: 360 },
      frameRate: { ideal: 24, max: 30 },
    },
    audio: {
      ...device(choice.micId),
      echoCancellation: true,
      noiseSuppression: true,
      autoGainControl: true,
    },
  };
}

/** The cameras or microphones of an enumerateDevices() list, with a name for each. */
export function deviceOptions(
  list: ReadonlyArray<{ kind: string; deviceId: string; label: string }>,
  kind: 'videoinput' | 'audioinput',
  unnamed: (n: number) => string,
): DeviceOption[] {
  const seen = new Set<string>();
  const out: DeviceOption[] = [];
  for (const d of list) {
    // Before permission, ids are empty; "default"/"communications" alias a real device.
    if (d.kind !== kind || !d.deviceId || seen.has(d.deviceId)) continue;
    if (d.deviceId === 'communications') continue;
    seen.add(d.deviceId);
    out.push({ id: d.deviceId, label: d.label || unnamed(out.length + 1) });
  }
  return out;
}

export function loadDeviceChoice(
  storage: Pick<Storage, 'getItem'> | null = safeStorage(),
): DeviceChoice {
  try {
    const raw = storage?.getItem(STORAGE_KEY);
    if (raw) {
      const v = JSON.parse(raw) as Partial<DeviceChoice>;
      return {
        cameraId: typeof v.cameraId === 'string' ? v.cameraId : null,
        micId: typeof v.micId === 'string' ? v.micId : null,
      };
    }
  } catch {
    // unreadable: start afresh
  }
  return { cameraId: null, micId: null };
}

export function saveDeviceChoice(
  choice: DeviceChoice,
  storage: Pick<Storage, 'setItem'> | null = safeStorage(),
): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(choice));
  } catch {
    // storage full or blocked: the choice is only for this visit
  }
}

function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}
