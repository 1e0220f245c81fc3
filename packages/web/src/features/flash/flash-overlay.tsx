import { useEffect, useRef, useState } from 'react';
import type { CouponView, OfferClaimResult, OfferView } from '../../api/types.ts';
import type { RoomAction } from '../lives/live-room-state.ts';
import { CouponCard, FlashCard } from './flash-card.tsx';
import { FlashSheet } from './flash-sheet.tsx';
import { currentCoupon, currentOffer } from './flash-state.ts';
import { useFlashSeed, useServerNow } from './use-flash.ts';

/** After a hold's end, the expiry job needs a moment before our units are really back. */
const HOLD_SETTLE_MS = 3000;

/**
 * The flash sale and coupon cards over the video, and the sheet to grab. The clock ticks here,
 * not in the room, so a countdown never re-renders the chat.
 */
export function FlashOverlay({
  liveId,
  sessionKey,
  offers,
  coupons,
  signedIn,
  dispatch,
}: {
  liveId: string;
  sessionKey: string;
  offers: OfferView[];
  coupons: CouponView[];
  signedIn: boolean;
  dispatch: (a: RoomAction) => void;
}) {
  const [refresh, setRefresh] = useState(0);
  // Offers and coupons with the viewer's own figures, and the server clock's offset.
  const skew = useFlashSeed(liveId, dispatch, sessionKey, refresh);
  // Tick only while something can still change on its own (a start, an end).
  const ticking =
    offers.some((o) => o.status !== 'ended') || coupons.some((c) => c.status !== 'ended');
  const serverNow = useServerNow(skew, ticking);
  const [grabbing, setGrabbing] = useState<string | null>(null);
  const holdTimers = useRef(new Set<ReturnType<typeof setTimeout>>());
  const offer = currentOffer(offers, serverNow);
  const coupon = currentCoupon(coupons, serverNow);
  const sheetOffer = grabbing ? offers.find((o) => o.id === grabbing) : undefined;

  useEffect(() => {
    const timers = holdTimers.current;
    return () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
    };
  }, []);

  const claimed = (result: OfferClaimResult, quantity: number) => {
    dispatch({ type: 'offer-claimed', offer: result.offer, quantity });
    // Room events do not say what each viewer holds: when our unpaid hold runs out, ask again,
    // so the card offers the units back to us too (or keeps them, if we paid meanwhile).
    const expires = result.order.holdExpiresAt;
    if (!expires || result.order.status !== 'placed') return;
    const wait = Date.parse(expires) - (Date.now() + skew) + HOLD_SETTLE_MS;
    const timer = setTimeout(
      () => {
        holdTimers.current.delete(timer);
        setRefresh((n) => n + 1);
      },
      Math.max(0, wait),
    );
    holdTimers.current.add(timer);
  };

  return (
    <>
      {(offer || coupon) && (
        <div className="flash-stack">
          {offer && (
            <FlashCard offer={offer} serverNow={serverNow} onGrab={() => setGrabbing(offer.id)} />
          )}
          {coupon && (
            <CouponCard
              coupon={coupon}
              serverNow={serverNow}
              signedIn={signedIn}
              onClaimed={(c) => dispatch({ type: 'coupon-claimed', coupon: c })}
            />
          )}
        </div>
      )}
      {sheetOffer && (
        <FlashSheet
          offer={sheetOffer}
          serverNow={serverNow}
          onClaimed={claimed}
          onClose={() => setGrabbing(null)}
        />
      )}
    </>
  );
}
