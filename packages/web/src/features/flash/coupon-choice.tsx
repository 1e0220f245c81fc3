import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { MyCoupon } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { formatMoney } from '../../lib/money.ts';
import { totalWithCoupon, usableCoupons } from './flash-state.ts';

export interface CouponChoiceState {
  /** The buyer's coupons of this shop that fit this order, biggest discount first. */
  usable: MyCoupon[];
  /** The coupon going on the order (the biggest until the buyer picks another or none). */
  chosen: MyCoupon | null;
  choose(id: string | null): void;
  total: number;
  /** Read the buyer's coupons again (one was used, or the server refused it). */
  reload(): void;
}

/**
 * Which claimed coupon goes on an order of `subtotal` fen from `shopId`. The best one is
 * applied unless the buyer says otherwise, the way a live-room buyer expects it.
 */
export function useCouponChoice(shopId: string | undefined, subtotal: number): CouponChoiceState {
  const { user } = useSession();
  const mine = useApi<{ coupons: MyCoupon[] }>(user && shopId ? '/me/coupons' : null);
  // undefined: not touched (take the best); null: the buyer wants none.
  const [picked, setPicked] = useState<string | null | undefined>(undefined);
  // A checkout lasts minutes; coupons valid for days do not expire while it is open.
  const [openedAt] = useState(() => Date.now());
  const usable = shopId ? usableCoupons(mine.data?.coupons ?? [], shopId, subtotal, openedAt) : [];
  const chosen =
    picked === null ? null : (usable.find((c) => c.id === picked) ?? usable[0] ?? null);
  return {
    usable,
    chosen,
    choose: setPicked,
    total: totalWithCoupon(subtotal, chosen),
    reload: mine.reload,
  };
}

/** The coupons that fit, as choices; nothing at all when the buyer has none for this shop. */
export function CouponChoice({ state }: { state: CouponChoiceState }) {
  const { t } = useTranslation();
  if (state.usable.length === 0) return null;
  return (
    <fieldset className="buy-section pay-methods" data-testid="coupon-choice">
      <legend>{t('flash.coupon.use')}</legend>
      {state.usable.map((c) => (
        <label key={c.id} className={`choice${state.chosen?.id === c.id ? ' chosen' : ''}`}>
          <input
            type="radio"
            name="coupon"
            value={c.id}
            data-testid="coupon-option"
            checked={state.chosen?.id === c.id}
            onChange={() => state.choose(c.id)}
          />
          <span>
            {t('flash.coupon.off', { amount: formatMoney(c.discount, c.currency) })}
            <small>
              {c.minSpend > 0
                ? t('flash.coupon.minSpend', { amount: formatMoney(c.minSpend, c.currency) })
                : t('flash.coupon.noMinimum')}
            </small>
          </span>
        </label>
      ))}
      <label className={`choice${state.chosen === null ? ' chosen' : ''}`}>
        <input
          type="radio"
          name="coupon"
          value=""
          data-testid="coupon-none"
          checked={state.chosen === null}
          onChange={() => state.choose(null)}
        />
        <span>{t('flash.coupon.none')}</span>
      </label>
    </fieldset>
  );
}
