/** The last shipping address used on this device, so the next purchase is two taps. */
export interface ShippingAddress {
  name: string;
  phone: string;
  regionCode: string;
  line1: string;
}

type Reader = Pick<Storage, 'getItem'>;
type Writer = Pick<Storage, 'setItem'>;

const KEY = 'cunbo.lastAddress';
export const addressKey = (userId: string | null | undefined) =>
  userId ? `${KEY}.${userId}` : KEY;

export function emptyAddress(): ShippingAddress {
  return { name: '', phone: '', regionCode: '', line1: '' };
}

function isAddress(v: unknown): v is ShippingAddress {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return (
    typeof a.name === 'string' &&
    typeof a.phone === 'string' &&
    typeof a.line1 === 'string' &&
    typeof a.regionCode === 'string' &&
    /^([0-9]{6}|[0-9]{9}|[0-9]{12})$/.test(a.regionCode)
  );
}

/** Null when nothing usable is stored (none, corrupt, or storage unavailable). */
export function loadLastAddress(
  storage: Reader | null | undefined,
  userId?: string | null,
): ShippingAddress | null {
  try {
    const raw = storage?.getItem(addressKey(userId));
    if (!raw) return null;
    const parsed: unknown = JSON.parse(raw);
    if (!isAddress(parsed)) return null;
    return {
      name: parsed.name,
      phone: parsed.phone,
      regionCode: parsed.regionCode,
      line1: parsed.line1,
    };
  } catch {
    return null;
  }
}

/** Best effort: private browsing or a full storage must not stop an order. */
export function saveLastAddress(
  storage: Writer | null | undefined,
  address: ShippingAddress,
  userId?: string | null,
): void {
  try {
    const clean = {
      name: address.name.trim(),
      phone: address.phone.trim(),
      regionCode: address.regionCode,
      line1: address.line1.trim(),
    };
    storage?.setItem(addressKey(userId), JSON.stringify(clean));
  } catch {
    // ignore
  }
}

/** The address fields still missing, by name; empty when the address can be sent. */
export function missingAddressFields(a: ShippingAddress): Array<keyof ShippingAddress> {
  const missing: Array<keyof ShippingAddress> = [];
  if (!a.name.trim()) missing.push('name');
  if (!/^\+?[0-9][0-9 -]{4,18}[0-9]$/.test(a.phone.trim())) missing.push('phone');
  if (!/^([0-9]{6}|[0-9]{9}|[0-9]{12})$/.test(a.regionCode)) missing.push('regionCode');
  if (!a.line1.trim()) missing.push('line1');
  return missing;
}
