import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import { api } from '../../api/client.ts';
import type { Order, RegionDetail } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { Async, Button, ErrorNote, Loading } from '../../components/ui.tsx';
import { formatMoney } from '../../lib/money.ts';
import { formatDateTime } from '../../lib/time.ts';
import { OrderTimeline, SellerParcelLinks } from '../fulfilment/order-timeline.tsx';
import { canCancel, ORDER_STEPS, payAction, stepOf } from './order-status.ts';
import { SignInRequired } from './orders-page.tsx';

function RegionName({ code }: { code: string }) {
  const region = useApi<{ region: RegionDetail }>(`/regions/${code}`);
  return <>{region.data?.region.fullName ?? code}</>;
}

export function OrderPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const order = useApi<{ order: Order }>(user ? `/orders/${id}` : null);

  if (user === undefined) return <Loading />;
  if (user === null) return <SignInRequired />;
  return (
    <main className="page page-narrow">
      <p>
        <Link href="/orders">‹ {t('orders.title')}</Link>
      </p>
      <Async state={order}>
        {(d) => (
          <OrderDetail
            order={d.order}
            onChange={(o) => order.setData({ order: o })}
            onMoved={order.reload}
          />
        )}
      </Async>
    </main>
  );
}

function OrderDetail({
  order,
  onChange,
  onMoved,
}: {
  order: Order;
  onChange: (o: Order) => void;
  onMoved: () => void;
}) {
  const { t, i18n } = useTranslation();
  const { user } = useSession();
  const [, navigate] = useLocation();
  const [busy, setBusy] = useState<'cancel' | 'pay' | null>(null);
  const [confirmCancel, setConfirmCancel] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const as = user?.shopId === order.shopId ? 'seller' : 'buyer';
  const step = stepOf(order.status);
  const action = as === 'buyer' ? payAction(order) : null;

  useEffect(() => {
    document.title = `${t('order.title')} · ${t('app.name')}`;
  }, [t]);

  async function cancel() {
    setBusy('cancel');
    setError(null);
    try {
      onChange((await api.post<{ order: Order }>(`/orders/${order.id}/cancel`)).order);
      setConfirmCancel(false);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  async function retryPay() {
    setBusy('pay');
    setError(null);
    try {
      const next = (await api.post<{ order: Order }>(`/orders/${order.id}/pay`)).order;
      onChange(next);
      if (next.payment?.payUrl) navigate(next.payment.payUrl);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  return (
    <article className="order-detail" data-testid="order-detail" data-order-id={order.id}>
      <h1>{t('order.title')}</h1>
      <section className="card status-card">
        <p className="order-status" data-testid="order-status" data-status={order.status}>
          {t(`orderStatus.${order.status}`)}
        </p>
        <p className="muted">{t(`orderStatusHint.${order.status}`)}</p>
        <OrderTimeline
          order={order}
          onMoved={onMoved}
          fallback={
            step >= 0 && (
              <ol className="steps" aria-label={t('order.progress')}>
                {ORDER_STEPS.map((s, i) => (
                  <li
                    key={s}
                    className={i < step ? 'done' : i === step ? 'current' : ''}
                    aria-current={i === step ? 'step' : undefined}
                  >
                    {t(`orderSteps.${s}`)}
                  </li>
                ))}
              </ol>
            )
          }
        />
      </section>

      <section className="card">
        <h2>{t('order.items')}</h2>
        <ul className="order-items">
          {order.items.map((item) => (
            <li key={item.productId}>
              <Link href={`/products/${item.productId}`}>{item.title}</Link>
              <span className="muted">
                {formatMoney(item.price, order.currency)} × {item.quantity} {item.unit}
              </span>
              <strong>{formatMoney(item.subtotal, order.currency)}</strong>
            </li>
          ))}
        </ul>
        {(order.discount ?? 0) > 0 && (
          <p className="muted" data-testid="order-discount">
            {t('order.discount', { amount: formatMoney(order.discount ?? 0, order.currency) })}
          </p>
        )}
        <p className="order-total">
          {t('order.total')}{' '}
          <strong data-testid="order-total">{formatMoney(order.total, order.currency)}</strong>
        </p>
      </section>

      <section className="card">
        <h2>{t('order.payment')}</h2>
        <p data-testid="order-payment">
          {order.paymentMethod === 'cod' ? t('payment.cod') : t('payment.onlineMethod')}
          {' · '}
          {order.payment
            ? t(`paymentStatus.${order.payment.status}`)
            : order.paymentMethod === 'cod'
              ? t('paymentStatus.onDelivery')
              : t('paymentStatus.none')}
        </p>
        {order.status === 'placed' && order.holdExpiresAt && (
          <p className="notice" data-testid="order-hold">
            {t('order.payBy', { time: formatDateTime(order.holdExpiresAt, i18n.language) })}
          </p>
        )}
        {action === 'pay' && order.payment?.payUrl && (
          <Link
            href={order.payment.payUrl}
            className="btn btn-primary btn-block"
            data-testid="order-pay"
          >
            {t('order.payNow')} · {formatMoney(order.total, order.currency)}
          </Link>
        )}
        {action === 'retry' && (
          <Button
            block
            busy={busy === 'pay'}
            onClick={() => void retryPay()}
            data-testid="order-pay"
          >
            {t('order.payAgain')}
          </Button>
        )}
      </section>

      <section className="card">
        <h2>{t('order.shipTo')}</h2>
        <p>
          <strong>{order.shippingAddress.name}</strong> {order.shippingAddress.phone}
        </p>
        <p>
          <RegionName code={order.shippingAddress.regionCode} />
        </p>
        <p>{order.shippingAddress.line1}</p>
      </section>

      <p className="muted">
        {t('order.placedAt', { time: formatDateTime(order.createdAt, i18n.language) })}
        {order.liveId && (
          <>
            {' · '}
            <Link href={`/lives/${order.liveId}`}>{t('order.fromLive')}</Link>
          </>
        )}
      </p>

      {as === 'seller' && <SellerParcelLinks order={order} />}

      <ErrorNote error={error} testId="order-error" />

      {canCancel(order, as) &&
        (confirmCancel ? (
          <div className="confirm-box" role="alertdialog" aria-labelledby="cancel-q">
            <p id="cancel-q">{t('order.cancelConfirm')}</p>
            <Button
              variant="danger"
              busy={busy === 'cancel'}
              onClick={() => void cancel()}
              data-testid="order-cancel-confirm"
            >
              {t('order.cancelYes')}
            </Button>
            <Button variant="secondary" onClick={() => setConfirmCancel(false)}>
              {t('order.cancelNo')}
            </Button>
          </div>
        ) : (
          <Button
            variant="ghost"
            block
            onClick={() => setConfirmCancel(true)}
            data-testid="order-cancel"
          >
            {t('order.cancel')}
          </Button>
        ))}
    </article>
  );
}
