import { useState } from 'react';
import type { CouponView, OfferView } from '../../api/types.ts';
import type { RoomAction } from '../lives/live-room-state.ts';
import { CouponCard, FlashCard } from './flash-card.tsx';
import { FlashSheet } from './flash-sheet.tsx';
import { currentCoupon, currentOffer } from './flash-state.ts';
import { useServerNow } from './use-flash.ts';

/**
 * The flash sale and coupon cards over the video, and the sheet to grab. The clock ticks here,
 * not in the room, so a countdown never re-renders the chat.
 */
export function FlashOverlay({
  offers,
  coupons,
  skew,
  signedIn,
  dispatch,
}: {
  offers: OfferView[];
  coupons: CouponView[];
  skew: number;
  signedIn: boolean;
  dispatch: (a: RoomAction) => void;
}) {
  const serverNow = useServerNow(skew, offers.length + coupons.length > 0);
  const [grabbing, setGrabbing] = useState<string | null>(null);
  const offer = currentOffer(offers, serverNow);
  const coupon = currentCoupon(coupons, serverNow);
  const sheetOffer = grabbing ? offers.find((o) => o.id === grabbing) : undefined;
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
          onClaimed={(result, quantity) =>
            dispatch({ type: 'offer-claimed', offer: result.offer, quantity })
          }
          onClose={() => setGrabbing(null)}
        />
      )}
    </>
  );
}
