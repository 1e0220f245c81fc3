import { useEffect, useState } from 'react';
import { apiUrl } from '../../api/client.ts';
import type { CouponView, OfferView } from '../../api/types.ts';
import type { RoomAction } from '../lives/live-room-state.ts';
import { clockSkewFromDate } from './flash-state.ts';

async function readWithDate<T>(
  path: string,
  signal: AbortSignal,
): Promise<{ data: T | null; skew: number }> {
  const sentAt = Date.now();
  const res = await fetch(apiUrl(path), {
    headers: { accept: 'application/json' },
    credentials: 'same-origin',
    signal,
  });
  const skew = clockSkewFromDate(res.headers.get('date'), sentAt, Date.now());
  return { data: res.ok ? ((await res.json()) as T) : null, skew };
}

/**
 * Reads the show's offers and coupons with the viewer's own figures (units held, coupons
 * claimed) and measures how far the server's clock is from ours, so every phone's countdown
 * reaches zero when the server opens the sale, whatever its own clock says.
 * Read again when the viewer changes (sign in) and when `refresh` changes.
 */
export function useFlashSeed(
  liveId: string,
  dispatch: (a: RoomAction) => void,
  sessionKey: string,
  refresh = 0,
): number {
  const [skew, setSkew] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    void (async () => {
      try {
        const [offers, coupons] = await Promise.all([
          readWithDate<{ offers: OfferView[] }>(`/lives/${liveId}/offers`, controller.signal),
          readWithDate<{ coupons: CouponView[] }>(`/lives/${liveId}/coupons`, controller.signal),
        ]);
        setSkew(offers.skew);
        dispatch({
          type: 'seed-flash',
          ...(offers.data && { offers: offers.data.offers }),
          ...(coupons.data && { coupons: coupons.data.coupons }),
        });
      } catch {
        // Offline or aborted: the room's own events still bring the offers.
      }
    })();
    return () => controller.abort();
  }, [liveId, dispatch, sessionKey, refresh]);
  return skew;
}

/** The server's time now, ticking while `active` (a countdown is on screen). */
export function useServerNow(skew: number, active: boolean, everyMs = 250): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const tick = () => setNow(Date.now());
    const first = setTimeout(tick, 0);
    const timer = setInterval(tick, everyMs);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [active, everyMs]);
  return now + skew;
}
