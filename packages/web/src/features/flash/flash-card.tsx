import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import { api, ApiError } from '../../api/client.ts';
import type { CouponView, OfferView } from '../../api/types.ts';
import { formatMoney } from '../../lib/money.ts';
import { photoAt } from '../../lib/photo.ts';
import { couponMoment, formatCountdown, offerMoment, takenShare } from './flash-state.ts';
import './flash.css';

/**
 * The flash sale over the video: flash price against the usual one, the countdown (to the
 * start, then to the end, on the server's clock), units left as a bar and a number, and the
 * big button. Sold out shows the moment `left` reaches 0, and opens again if a hold expires.
 */
export function FlashCard({
  offer,
  serverNow,
  onGrab,
}: {
  offer: OfferView;
  serverNow: number;
  onGrab: () => void;
}) {
  const { t } = useTranslation();
  const { phase, remainingMs } = offerMoment(offer, serverNow);
  const share = takenShare(offer);
  const mine = offer.mine ?? 0;
  const atLimit = offer.perBuyerLimit > 0 && mine >= offer.perBuyerLimit;
  const button =
    phase === 'scheduled'
      ? t('flash.card.soon')
      : phase === 'sold_out'
        ? t('flash.card.soldOut')
        : phase === 'ended'
          ? t('flash.card.ended')
          : atLimit
            ? t('flash.card.gotIt')
            : t('flash.card.grab');
  return (
    <section
      className={`flash-card flash-${phase}`}
      data-testid="flash-card"
      data-offer-id={offer.id}
      data-phase={phase}
      data-left={offer.left}
      aria-label={t('flash.card.tag')}
    >
      <header className="flash-head">
        <span className="flash-tag">⚡ {t('flash.card.tag')}</span>
        <span className="flash-countdown" data-testid="flash-countdown" role="timer">
          {phase === 'scheduled'
            ? t('flash.card.startsIn', { time: formatCountdown(remainingMs) })
            : phase === 'ended'
              ? t('flash.card.ended')
              : t('flash.card.endsIn', { time: formatCountdown(remainingMs) })}
        </span>
      </header>
      <div className="flash-product">
        {offer.product.photoUrl ? (
          <img src={photoAt(offer.product.photoUrl, 320)} alt="" width={44} height={44} />
        ) : null}
        <p className="flash-title">{offer.product.title}</p>
      </div>
      <p className="flash-prices">
        <strong className="flash-price" data-testid="flash-price">
          {formatMoney(offer.price, offer.currency)}
        </strong>
        <span className="flash-unit">/{offer.product.unit}</span>{' '}
        {offer.regularPrice > offer.price && (
          <s className="flash-regular" aria-label={t('flash.card.regular')}>
            {formatMoney(offer.regularPrice, offer.currency)}
          </s>
        )}
      </p>
      <div
        className="flash-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={offer.quantity}
        aria-valuenow={offer.quantity - offer.left}
        aria-label={t('flash.card.taken')}
      >
        <span style={{ width: `${Math.round(share * 100)}%` }} />
      </div>
      <p className="flash-left" data-testid="flash-left" aria-live="polite">
        {phase === 'sold_out'
          ? t('flash.card.soldOutLeft')
          : `${t('flash.card.left', { left: offer.left, quantity: offer.quantity })} · ${t(
              'flash.card.limit',
              { n: offer.perBuyerLimit },
            )}`}
      </p>
      {mine > 0 && (
        <p className="flash-mine" data-testid="flash-mine">
          ✓ {t('flash.card.mine', { n: mine, unit: offer.product.unit })}
        </p>
      )}
      <button
        type="button"
        className="flash-grab"
        data-testid="flash-grab"
        disabled={phase !== 'open' || atLimit}
        onClick={onGrab}
      >
        {button}
      </button>
    </section>
  );
}

/** A live coupon: claim it while the quota lasts, one per buyer. */
export function CouponCard({
  coupon,
  serverNow,
  signedIn,
  onClaimed,
}: {
  coupon: CouponView;
  serverNow: number;
  signedIn: boolean;
  onClaimed: (coupon: CouponView) => void;
}) {
  const { t } = useTranslation();
  const [location] = useLocation();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const { phase, remainingMs } = couponMoment(coupon, serverNow);
  const claimed = coupon.claimed === true;

  async function claim() {
    if (busy) return;
    setBusy(true);
    setProblem(null);
    try {
      const res = await api.post<{ coupon: CouponView }>(`/coupons/${coupon.id}/claim`);
      onClaimed(res.coupon);
    } catch (err) {
      if (err instanceof ApiError && err.code === 'ALREADY_CLAIMED') onClaimed(coupon);
      else if (err instanceof ApiError && err.code === 'COUPONS_GONE')
        setProblem(t('flash.coupon.gone'));
      else if (err instanceof ApiError && err.code === 'COUPON_NOT_STARTED')
        setProblem(t('flash.coupon.notStarted'));
      else if (err instanceof ApiError && err.code === 'COUPON_ENDED')
        setProblem(t('flash.coupon.ended'));
      else setProblem(err instanceof ApiError ? err.message : t('errors.generic'));
    } finally {
      setBusy(false);
    }
  }

  const label = claimed
    ? t('flash.coupon.claimed')
    : phase === 'gone'
      ? t('flash.coupon.gone')
      : phase === 'ended'
        ? t('flash.coupon.ended')
        : phase === 'scheduled'
          ? t('flash.card.startsIn', { time: formatCountdown(remainingMs) })
          : t('flash.coupon.claim');
  return (
    <section
      className={`coupon-card coupon-${claimed ? 'claimed' : phase}`}
      data-testid="coupon-card"
      data-coupon-id={coupon.id}
      data-phase={phase}
      data-claimed={claimed}
    >
      <div className="coupon-value">
        <strong>{formatMoney(coupon.discount, coupon.currency)}</strong>
        <small>
          {coupon.minSpend > 0
            ? t('flash.coupon.minSpend', { amount: formatMoney(coupon.minSpend, coupon.currency) })
            : t('flash.coupon.noMinimum')}
        </small>
        <small data-testid="coupon-left">
          {t('flash.coupon.left', { left: coupon.left, quota: coupon.quota })}
        </small>
      </div>
      {signedIn || claimed || phase === 'gone' || phase === 'ended' ? (
        <button
          type="button"
          className="coupon-claim"
          data-testid="coupon-claim"
          disabled={claimed || phase !== 'open' || busy}
          aria-busy={busy || undefined}
          onClick={() => void claim()}
        >
          {label}
        </button>
      ) : (
        <Link
          href={`/signin?next=${encodeURIComponent(location)}`}
          className="coupon-claim"
          data-testid="coupon-signin"
        >
          {t('flash.coupon.signIn')}
        </Link>
      )}
      {problem && (
        <p className="coupon-problem" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
