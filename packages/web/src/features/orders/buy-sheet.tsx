import { LIMITS, type PinnedProductCard } from '@cunbo/shared';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import { api, ApiError } from '../../api/client.ts';
import type { Order } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { isFieldError, useErrorText } from '../../components/error-text.ts';
import { focusFirstInvalid } from '../../components/focus-invalid.ts';
import { Button, ErrorNote } from '../../components/ui.tsx';
import { newUuid } from '../../lib/ids.ts';
import { formatMoney } from '../../lib/money.ts';
import { photoAt } from '../../lib/photo.ts';
import { CouponChoice, useCouponChoice } from '../flash/coupon-choice.tsx';
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
} from './checkout-fields.tsx';

export type BuyableProduct = Pick<
  PinnedProductCard,
  'id' | 'title' | 'unit' | 'price' | 'currency' | 'stock' | 'photoUrl'
>;

/**
 * The second tap of "two taps to buy": quantity, address (remembered from last time) and
 * payment, then confirm. One Idempotency-Key per opening of the sheet, reused on every retry,
 * so a flaky network never orders twice.
 */
export function BuySheet({
  product,
  liveId,
  shopId,
  onClose,
}: {
  product: BuyableProduct;
  liveId?: string;
  /** The seller's shop: the buyer's live coupons of that shop can go on the order. */
  shopId?: string;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const { user } = useSession();
  const [, navigate] = useLocation();
  const errorText = useErrorText();
  const [idempotencyKey, setIdempotencyKey] = useState(() => newUuid());
  const addressState = useShippingAddress();
  const [wanted, setQuantity] = useState(1);
  // What the server last said is left (409 OUT_OF_STOCK), which may be below the card's stock.
  const [available, setAvailable] = useState<number | null>(null);
  const [payment, setPayment, rememberPayment] = usePaymentMethod();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [placed, setPlaced] = useState<Order | null>(null);
  const sheetRef = useRef<HTMLDivElement>(null);

  // Stock on the card changes while the sheet is open (others are buying too).
  const maxQuantity = Math.max(
    0,
    Math.min(product.stock, LIMITS.quantityMax, available ?? Infinity),
  );
  const quantity = Math.max(1, Math.min(wanted, maxQuantity));

  const soldOut = maxQuantity <= 0;
  const coupons = useCouponChoice(user ? shopId : undefined, product.price * quantity);
  const total = coupons.total;

  async function confirm() {
    if (!addressState.check()) {
      focusFirstInvalid(sheetRef.current);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { order } = await api.post<{ order: Order }>(
        '/orders',
        {
          items: [{ productId: product.id, quantity }],
          shippingAddress: addressState.payload(),
          paymentMethod: payment,
          ...(liveId && { liveId }),
          ...(coupons.chosen && { couponId: coupons.chosen.id }),
        },
        { headers: { 'Idempotency-Key': idempotencyKey } },
      );
      addressState.remember();
      rememberPayment();
      if (order.couponId) coupons.reload();
      setPlaced(order);
      if (order.payment?.payUrl && order.payment.status === 'pending')
        navigate(order.payment.payUrl);
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.code === 'OUT_OF_STOCK' && typeof err.details.available === 'number') {
          setAvailable(err.details.available);
        }
        if (err.code === 'IDEMPOTENCY_KEY_REUSED') setIdempotencyKey(newUuid());
        // The coupon was used meanwhile (another tab) or no longer fits: show what is left.
        if (err.code.startsWith('COUPON')) coupons.reload();
        if (isFieldError(err, ADDRESS_FIELDS)) {
          addressState.setEditing(true);
          focusFirstInvalid(sheetRef.current);
        }
      }
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  let content;
  if (!user) {
    content = <SignInFirst message={t('buy.signInFirst')} testId="buy-signin" />;
  } else if (placed) {
    content = (
      <OrderPlaced
        orderId={placed.id}
        title={t('buy.placed')}
        testIds={{ box: 'buy-success', orderLink: 'buy-order-link', done: 'buy-done' }}
        onClose={onClose}
      >
        <p>
          {placed.paymentMethod === 'cod'
            ? t('buy.placedCod', { total: formatMoney(placed.total, placed.currency) })
            : t('buy.placedPay', { total: formatMoney(placed.total, placed.currency) })}
        </p>
        {placed.payment?.payUrl && placed.payment.status === 'pending' && (
          <Link
            href={placed.payment.payUrl}
            className="btn btn-primary btn-block"
            data-testid="buy-pay-link"
          >
            {t('order.payNow')}
          </Link>
        )}
      </OrderPlaced>
    );
  } else {
    content = (
      <form
        className="sheet-body"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void confirm();
        }}
      >
        <div className="buy-product">
          {product.photoUrl ? (
            <img src={photoAt(product.photoUrl, 320)} alt="" width={64} height={64} />
          ) : (
            <span className="thumb-empty" aria-hidden="true" />
          )}
          <div>
            <p className="buy-title">{product.title}</p>
            <p>
              {formatMoney(product.price, product.currency)} / {product.unit}
            </p>
            <p className={soldOut ? 'soldout-text' : 'muted'} data-testid="buy-stock">
              {soldOut
                ? t('product.soldOut')
                : t('product.left', { n: product.stock, unit: product.unit })}
            </p>
          </div>
        </div>

        <QuantityStepper
          id="qty-label"
          quantity={quantity}
          max={maxQuantity}
          unit={product.unit}
          disabled={soldOut}
          testIds={{ minus: 'qty-minus', input: 'qty-input', plus: 'qty-plus' }}
          onChange={setQuantity}
          onType={(text) => {
            const n = Number.parseInt(text.replace(/\D/g, ''), 10);
            setQuantity(Number.isFinite(n) ? Math.max(1, Math.min(maxQuantity || 1, n)) : 1);
          }}
        />

        <AddressSection state={addressState} error={error} />
        <PaymentChoice value={payment} onChange={setPayment} />
        <CouponChoice state={coupons} />
        {coupons.chosen && (
          <p className="coupon-saving" data-testid="coupon-saving">
            {t('flash.coupon.saving', {
              amount: formatMoney(product.price * quantity - total, product.currency),
            })}
          </p>
        )}

        {error && !isFieldError(error, ADDRESS_FIELDS) ? (
          <ErrorNote error={error} testId="buy-error" />
        ) : error ? (
          <p className="field-error" role="alert" data-testid="buy-error">
            {errorText(error)}
          </p>
        ) : null}

        <Button type="submit" block busy={busy} disabled={soldOut} data-testid="buy-confirm">
          {soldOut
            ? t('product.soldOut')
            : t('buy.confirm', { total: formatMoney(total, product.currency) })}
        </Button>
      </form>
    );
  }

  return (
    <CheckoutSheet
      testId="buy"
      title={placed ? t('buy.doneTitle') : t('buy.title')}
      sheetRef={sheetRef}
      onClose={onClose}
    >
      {content}
    </CheckoutSheet>
  );
}
