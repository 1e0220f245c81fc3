import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api, ApiError } from '../../api/client.ts';
import type { OfferClaimResult, OfferView, Order } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { isFieldError, useErrorText } from '../../components/error-text.ts';
import { focusFirstInvalid } from '../../components/focus-invalid.ts';
import { Button } from '../../components/ui.tsx';
import { formatDateTime } from '../../lib/time.ts';
import { newUuid } from '../../lib/ids.ts';
import { formatMoney } from '../../lib/money.ts';
import {
  ADDRESS_FIELDS,
  AddressSection,
  CheckoutSheet,
  OrderPlaced,
  PaymentChoice,
  QuantityStepper,
  SignInFirst,
  usePaymentMethod,
  useShippingAddress,
} from '../orders/checkout-fields.tsx';
import { CouponChoice, useCouponChoice } from './coupon-choice.tsx';
import {
  AttemptKey,
  claimable,
  claimRefusal,
  formatCountdown,
  offerMoment,
  type ClaimRefusal,
} from './flash-state.ts';

/**
 * "Grab it": how many (up to what the buyer may still take), where to, how to pay, a coupon
 * of the shop if they have one; then "you got it" with the order, or the reason it was not.
 * One Idempotency-Key per attempt, kept when a flaky network makes the buyer tap again, so a
 * double tap or a retry never takes two.
 */
export function FlashSheet({
  offer,
  serverNow,
  onClaimed,
  onClose,
}: {
  offer: OfferView;
  serverNow: number;
  onClaimed: (result: OfferClaimResult, quantity: number) => void;
  onClose: () => void;
}) {
  const { t, i18n } = useTranslation();
  const { user } = useSession();
  const errorText = useErrorText();
  const addressState = useShippingAddress();
  const [payment, setPayment, rememberPayment] = usePaymentMethod();
  const [wanted, setWanted] = useState(1);
  const [busy, setBusy] = useState(false);
  const inFlight = useRef(false);
  const [attempt] = useState(() => new AttemptKey(newUuid));
  const [error, setError] = useState<unknown>(null);
  const [refusal, setRefusal] = useState<ClaimRefusal | null>(null);
  const [result, setResult] = useState<Order | null>(null);
  const sheetRef = useRef<HTMLDivElement>(null);

  const { phase } = offerMoment(offer, serverNow);
  const max = claimable(offer);
  const quantity = Math.max(1, Math.min(wanted, max || 1));
  const coupons = useCouponChoice(user ? offer.shopId : undefined, offer.price * quantity);

  async function grab() {
    if (inFlight.current) return;
    if (!addressState.check()) {
      focusFirstInvalid(sheetRef.current);
      return;
    }
    inFlight.current = true;
    setBusy(true);
    setError(null);
    setRefusal(null);
    try {
      const res = await api.post<OfferClaimResult>(
        `/offers/${offer.id}/claims`,
        {
          quantity,
          shippingAddress: addressState.payload(),
          paymentMethod: payment,
          ...(coupons.chosen && { couponId: coupons.chosen.id }),
        },
        { headers: { 'Idempotency-Key': attempt.take() } },
      );
      attempt.settle({ ok: true });
      addressState.remember();
      rememberPayment();
      setResult(res.order);
      onClaimed(res, quantity);
    } catch (err) {
      attempt.settle({ ok: false, status: err instanceof ApiError ? err.status : 0 });
      const why = err instanceof ApiError ? claimRefusal(err) : null;
      if (why) setRefusal(why);
      else setError(err);
      if (err instanceof ApiError && err.code.startsWith('COUPON')) coupons.reload();
      if (isFieldError(err, ADDRESS_FIELDS)) {
        addressState.setEditing(true);
        focusFirstInvalid(sheetRef.current);
      }
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  }

  let content;
  if (!user) {
    content = <SignInFirst message={t('flash.sheet.signInFirst')} testId="flash-signin" />;
  } else if (result) {
    content = (
      <GotIt order={result} serverNow={serverNow} unit={offer.product.unit} onClose={onClose} />
    );
  } else {
    const subtotal = offer.price * quantity;
    const refusalText = refusal ? refusalWords(refusal) : null;
    content = (
      <form
        className="sheet-body"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void grab();
        }}
      >
        <div className="buy-product">
          <div>
            <p className="buy-title">{offer.product.title}</p>
            <p>
              <strong className="price">{formatMoney(offer.price, offer.currency)}</strong> /{' '}
              {offer.product.unit}{' '}
              {offer.regularPrice > offer.price && (
                <s className="muted">{formatMoney(offer.regularPrice, offer.currency)}</s>
              )}
            </p>
            <p className="muted">
              {t('flash.card.left', { left: offer.left, quantity: offer.quantity })} ·{' '}
              {t('flash.card.limit', { n: offer.perBuyerLimit })}
            </p>
          </div>
        </div>

        <QuantityStepper
          id="flash-qty-label"
          quantity={quantity}
          max={max}
          unit={offer.product.unit}
          testIds={{ minus: 'flash-qty-minus', input: 'flash-qty', plus: 'flash-qty-plus' }}
          onChange={setWanted}
        />

        <AddressSection state={addressState} error={error} />
        <PaymentChoice
          value={payment}
          onChange={setPayment}
          onlineHint={t('flash.sheet.holdHint', { minutes: Math.round(offer.holdSeconds / 60) })}
        />
        <CouponChoice state={coupons} />

        {refusalText && (
          <p
            className="flash-refused"
            role="alert"
            data-testid="flash-refused"
            data-reason={refusal?.reason}
          >
            {refusalText}
          </p>
        )}
        {error && !isFieldError(error, ADDRESS_FIELDS) ? (
          <p className="field-error" role="alert" data-testid="flash-error">
            {errorText(error)}
          </p>
        ) : null}

        <Button
          type="submit"
          block
          busy={busy}
          disabled={phase !== 'open' || max <= 0}
          className="flash-confirm"
          data-testid="flash-confirm"
        >
          {phase === 'sold_out'
            ? t('flash.card.soldOut')
            : phase === 'ended'
              ? t('flash.card.ended')
              : phase === 'scheduled'
                ? t('flash.card.startsIn', {
                    time: formatCountdown(offerMoment(offer, serverNow).remainingMs),
                  })
                : max <= 0
                  ? t('flash.card.gotIt')
                  : coupons.chosen
                    ? t('flash.sheet.confirmWithCoupon', {
                        total: formatMoney(coupons.total, offer.currency),
                        before: formatMoney(subtotal, offer.currency),
                      })
                    : t('flash.sheet.confirm', { total: formatMoney(subtotal, offer.currency) })}
        </Button>
      </form>
    );
  }

  function refusalWords(r: ClaimRefusal): string {
    switch (r.reason) {
      case 'sold_out':
        return t('flash.refused.soldOut');
      case 'limit':
        return t('flash.refused.limit', { limit: r.limit, mine: r.mine });
      case 'not_started':
        return r.startsAt
          ? t('flash.refused.notStartedAt', { time: formatDateTime(r.startsAt, i18n.language) })
          : t('flash.refused.notStarted');
      case 'ended':
        return t('flash.refused.ended');
      case 'own_shop':
        return t('flash.refused.ownShop');
    }
  }

  return (
    <CheckoutSheet
      testId="flash"
      title={result ? t('flash.sheet.gotItTitle') : `⚡ ${t('flash.sheet.title')}`}
      sheetRef={sheetRef}
      onClose={onClose}
    >
      {content}
    </CheckoutSheet>
  );
}

/** "You got it": the order, and for online payment how long the units are held for us. */
function GotIt({
  order,
  serverNow,
  unit,
  onClose,
}: {
  order: Order;
  serverNow: number;
  unit: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const quantity = order.items.reduce((n, i) => n + i.quantity, 0);
  const total = formatMoney(order.total, order.currency);
  const holdMs = order.holdExpiresAt ? Date.parse(order.holdExpiresAt) - serverNow : null;
  const waitingPay = order.status === 'placed' && order.paymentMethod !== 'cod';
  const payUrl = order.payment?.status === 'pending' ? order.payment.payUrl : null;
  return (
    <OrderPlaced
      orderId={order.id}
      title={t('flash.sheet.gotIt', { n: quantity, unit })}
      testIds={{ box: 'flash-got-it', orderLink: 'flash-order-link', done: 'flash-done' }}
      onClose={onClose}
    >
      {waitingPay ? (
        holdMs !== null && holdMs <= 0 ? (
          <p className="flash-refused" data-testid="flash-hold-over">
            {t('flash.sheet.holdOver')}
          </p>
        ) : (
          <p className="flash-hold" data-testid="flash-pay-by" role="timer">
            {holdMs !== null
              ? t('flash.sheet.payWithin', { time: formatCountdown(holdMs), total })
              : t('buy.placedPay', { total })}
          </p>
        )
      ) : (
        <p>{t('buy.placedCod', { total })}</p>
      )}
      {(order.discount ?? 0) > 0 && (
        <p className="muted">
          {t('flash.coupon.saving', { amount: formatMoney(order.discount ?? 0, order.currency) })}
        </p>
      )}
      {waitingPay && payUrl && (holdMs === null || holdMs > 0) && (
        <Link href={payUrl} className="btn btn-primary btn-block" data-testid="flash-pay">
          {t('order.payNow')}
        </Link>
      )}
    </OrderPlaced>
  );
}
