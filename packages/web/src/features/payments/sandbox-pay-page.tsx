import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../../api/client.ts';
import type { Order, SandboxPaymentPage } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { Async, Button, ErrorNote, Loading } from '../../components/ui.tsx';
import { formatMoney } from '../../lib/money.ts';
import { SignInRequired } from '../orders/orders-page.tsx';

/**
 * The built-in test payment provider's page. In production Alipay or WeChat Pay would appear
 * here; the page says so plainly, so nobody thinks real money moved.
 */
export function SandboxPayPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const page = useApi<SandboxPaymentPage>(user ? `/payments/sandbox/${id}` : null);
  const [busy, setBusy] = useState<'succeeded' | 'failed' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<Order | null>(null);

  useEffect(() => {
    document.title = `${t('sandbox.title')} · ${t('app.name')}`;
  }, [t]);

  async function complete(outcome: 'succeeded' | 'failed') {
    setBusy(outcome);
    setError(null);
    try {
      const { order } = await api.post<{ order: Order }>(`/payments/sandbox/${id}/complete`, {
        outcome,
      });
      setResult(order);
      page.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  if (user === undefined) return <Loading />;
  if (user === null) return <SignInRequired />;
  return (
    <main className="page page-narrow">
      <div className="sandbox" data-testid="sandbox-pay">
        <p className="sandbox-banner" role="note">
          <strong>{t('sandbox.banner')}</strong>
          <span>{t('sandbox.bannerText')}</span>
        </p>
        <Async state={page}>
          {({ payment, order }) => {
            const settled = payment.status !== 'pending';
            return (
              <div className="card sandbox-card">
                <h1>{t('sandbox.title')}</h1>
                <p className="sandbox-amount" data-testid="sandbox-amount">
                  {formatMoney(payment.amount, payment.currency)}
                </p>
                <ul className="order-items compact">
                  {order.items.map((i) => (
                    <li key={i.productId}>
                      {i.title} × {i.quantity} {i.unit}
                    </li>
                  ))}
                </ul>
                <p className="muted">
                  {t('sandbox.paymentState')}:{' '}
                  <span data-testid="sandbox-status">
                    {t(`paymentStatus.${payment.status}`, { defaultValue: payment.status })}
                  </span>
                </p>
                {result && (
                  <p
                    className={result.status === 'paid' ? 'success-text' : 'field-error'}
                    role="status"
                    data-testid="sandbox-result"
                  >
                    {result.status === 'paid' ? t('sandbox.paid') : t('sandbox.failed')}
                  </p>
                )}
                <ErrorNote error={error} testId="sandbox-error" />
                {!settled && (
                  <div className="sandbox-actions">
                    <Button
                      block
                      busy={busy === 'succeeded'}
                      disabled={busy !== null}
                      onClick={() => void complete('succeeded')}
                      data-testid="sandbox-pay-button"
                    >
                      {t('sandbox.pay', { amount: formatMoney(payment.amount, payment.currency) })}
                    </Button>
                    <Button
                      block
                      variant="danger"
                      busy={busy === 'failed'}
                      disabled={busy !== null}
                      onClick={() => void complete('failed')}
                      data-testid="sandbox-fail-button"
                    >
                      {t('sandbox.fail')}
                    </Button>
                  </div>
                )}
                <div className="sandbox-links">
                  <Link
                    href={`/orders/${order.id}`}
                    className="btn btn-secondary btn-block"
                    data-testid="sandbox-order-link"
                  >
                    {t('buy.seeOrder')}
                  </Link>
                  {order.liveId && (
                    <Link
                      href={`/lives/${order.liveId}`}
                      className="btn btn-ghost btn-block"
                      data-testid="sandbox-back-live"
                    >
                      {t('sandbox.backToLive')}
                    </Link>
                  )}
                </div>
              </div>
            );
          }}
        </Async>
      </div>
    </main>
  );
}
