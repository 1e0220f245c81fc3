import { ApiError } from '../../api/errors.ts';
import type { ParcelView, ScanResponse } from '../../api/types.ts';

/** What a scan came to, shown big so the operator sees it from arm's length. */
export type ScanOutcome =
  | { kind: 'scanned'; code: string; parcel: ParcelView }
  | { kind: 'already'; code: string; parcel: ParcelView }
  | { kind: 'unknown'; code: string }
  | { kind: 'wrong_hub'; code: string }
  | { kind: 'error'; code: string; error: unknown };

/**
 * A barcode scanner types the code and presses Enter; people type it too, with spaces,
 * lower case or a full-width keyboard. Codes are A–Z and 0–9 only.
 */
export function normalizeCode(input: string): string {
  return input
    .normalize('NFKC')
    .replace(/[\s-]+/g, '')
    .toUpperCase();
}

export function isParcelCode(code: string): boolean {
  return /^[A-Z0-9]{8,20}$/.test(code);
}

export function scanSucceeded(code: string, res: ScanResponse): ScanOutcome {
  return res.alreadyScanned
    ? { kind: 'already', code, parcel: res.parcel }
    : { kind: 'scanned', code, parcel: res.parcel };
}

export function scanFailed(code: string, error: unknown): ScanOutcome {
  if (error instanceof ApiError) {
    if (error.code === 'PARCEL_NOT_FOUND') return { kind: 'unknown', code };
    if (error.code === 'WRONG_HUB') return { kind: 'wrong_hub', code };
  }
  return { kind: 'error', code, error };
}

/** Parcels grouped by the shop that packed them, biggest pile first, for the "expected" list. */
export function bySeller(
  parcels: readonly ParcelView[],
): Array<{ shopId: string; shopName: string; parcels: ParcelView[] }> {
  const groups = new Map<string, { shopId: string; shopName: string; parcels: ParcelView[] }>();
  for (const p of parcels) {
    const g = groups.get(p.shopId) ?? { shopId: p.shopId, shopName: p.shopName, parcels: [] };
    g.parcels.push(p);
    groups.set(p.shopId, g);
  }
  return [...groups.values()].sort(
    (a, b) => b.parcels.length - a.parcels.length || a.shopName.localeCompare(b.shopName),
  );
}
