import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearch } from 'wouter';
import type { Order } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { Async, Empty, Loading } from '../../components/ui.tsx';
import { formatMoney } from '../../lib/money.ts';
import { formatDateTime } from '../../lib/time.ts';

export function OrderRow({ order }: { order: Order }) {
  const { t, i18n } = useTranslation();
  const summary = order.items.map((i) => `${i.title} × ${i.quantity} ${i.unit}`).join('，');
  return (
    <Link
      href={`/orders/${order.id}`}
      className="order-row"
      data-testid="order-row"
      data-order-id={order.id}
    >
      <div>
        <p className="order-row-items">{summary}</p>
        <p className="muted">{formatDateTime(order.createdAt, i18n.language)}</p>
      </div>
      <div className="order-row-side">
        <strong>{formatMoney(order.total, order.currency)}</strong>
        <span className={`status-chip status-${order.status}`} data-testid="order-row-status">
          {t(`orderStatus.${order.status}`)}
        </span>
      </div>
    </Link>
  );
}

export function SignInRequired() {
  const { t } = useTranslation();
  const [location] = useLocation();
  return (
    <main className="page page-narrow">
      <p className="notice">{t('auth.required')}</p>
      <Link href={`/signin?next=${encodeURIComponent(location)}`} className="btn btn-primary">
        {t('auth.signIn')}
      </Link>
    </main>
  );
}

export function OrdersPage() {
  const { t } = useTranslation();
  const { user } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const as =
    new URLSearchParams(search).get('as') === 'seller' && user?.role === 'seller'
      ? 'seller'
      : 'buyer';
  const orders = useApi<{ orders: Order[] }>(user ? '/orders' : null, { as, limit: 50 });

  useEffect(() => {
    document.title = `${t('orders.title')} · ${t('app.name')}`;
  }, [t]);

  if (user === undefined) return <Loading />;
  if (user === null) return <SignInRequired />;
  return (
    <main className="page">
      <h1>{t('orders.title')}</h1>
      {user.role === 'seller' && (
        <div className="tabs" role="tablist">
          <button
            type="button"
            role="tab"
            aria-selected={as === 'buyer'}
            onClick={() => navigate('/orders', { replace: true })}
          >
            {t('orders.bought')}
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={as === 'seller'}
            data-testid="orders-tab-seller"
            onClick={() => navigate('/orders?as=seller', { replace: true })}
          >
            {t('orders.sold')}
          </button>
        </div>
      )}
      <Async state={orders}>
        {(d) =>
          d.orders.length === 0 ? (
            <Empty>
              {t('orders.none')} <Link href="/">{t('orders.findShows')}</Link>
            </Empty>
          ) : (
            <ul className="order-list" data-testid="order-list">
              {d.orders.map((o) => (
                <li key={o.id}>
                  <OrderRow order={o} />
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </main>
  );
}
