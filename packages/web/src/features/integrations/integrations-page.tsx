import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../../api/client.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { useFieldError } from '../../components/error-text.ts';
import { Async, Button, Empty, ErrorNote, Loading, TextField } from '../../components/ui.tsx';
import { formatDateTime } from '../../lib/time.ts';
import { SignInRequired } from '../orders/orders-page.tsx';
import {
  EVENT_TYPES,
  MAX_ENDPOINTS,
  eventKey,
  lastOutcome,
  nextBefore,
  urlIssue,
  type DeliveryDetail,
  type DeliveryStatus,
  type WebhookDelivery,
  type WebhookSubscription,
} from './webhooks-view.ts';
import './integrations.css';

type WebhookEventType = (typeof EVENT_TYPES)[number];
const PAGE = 30;

/** Integrations for sellers: webhook endpoints that hear about orders and shows, and their log. */
export function IntegrationsPage() {
  const { t } = useTranslation();
  const { user } = useSession();
  const seller = user?.role === 'seller' && Boolean(user.shopId);
  const subs = useApi<{ subscriptions: WebhookSubscription[] }>(seller ? '/shop/webhooks' : null);
  const [adding, setAdding] = useState(false);
  const [secret, setSecret] = useState<{ id: string; value: string } | null>(null);

  useEffect(() => {
    document.title = `${t('integrations.title')} · ${t('app.name')}`;
  }, [t]);
  // Deliveries keep happening in the background: the counts follow them.
  useEffect(() => {
    const timer = setInterval(subs.reload, 10_000);
    return () => clearInterval(timer);
  }, [subs.reload]);

  if (user === undefined) return <Loading />;
  if (user === null) return <SignInRequired />;
  if (!seller) {
    return (
      <main className="page page-narrow">
        <h1>{t('integrations.title')}</h1>
        <p className="notice">
          {user.role === 'seller' ? t('studio.openShopFirst') : t('studio.sellersOnly')}
        </p>
        {user.role === 'seller' && <Link href="/studio">{t('menu.studio')}</Link>}
      </main>
    );
  }

  const replace = (s: WebhookSubscription) =>
    subs.setData((d) =>
      d
        ? {
            subscriptions: d.subscriptions.some((x) => x.id === s.id)
              ? d.subscriptions.map((x) => (x.id === s.id ? s : x))
              : [...d.subscriptions, s],
          }
        : d,
    );
  const count = subs.data?.subscriptions.length ?? 0;

  return (
    <main className="page page-narrow integrations" data-testid="integrations">
      <p>
        <Link href="/studio">‹ {t('menu.studio')}</Link>
      </p>
      <div className="card-header">
        <h1>{t('integrations.title')}</h1>
        <Button
          variant="ghost"
          className="btn-small"
          busy={subs.loading && subs.data !== undefined}
          onClick={subs.reload}
          data-testid="integrations-refresh"
        >
          {t('integrations.refresh')}
        </Button>
      </div>
      <p className="muted">{t('integrations.intro')}</p>

      {secret && <SecretBox value={secret.value} onDone={() => setSecret(null)} />}

      {adding ? (
        <SubscriptionForm
          onClose={() => setAdding(false)}
          onCreated={(s, value) => {
            replace(s);
            setSecret({ id: s.id, value });
            setAdding(false);
          }}
        />
      ) : (
        <Button
          block
          onClick={() => setAdding(true)}
          disabled={count >= MAX_ENDPOINTS}
          data-testid="webhook-new"
        >
          + {t('integrations.add')}
        </Button>
      )}
      {count >= MAX_ENDPOINTS && (
        <p className="muted">{t('integrations.limit', { max: MAX_ENDPOINTS })}</p>
      )}

      <Async state={subs}>
        {(d) =>
          d.subscriptions.length === 0 ? (
            <Empty>{t('integrations.none')}</Empty>
          ) : (
            <ul className="wh-list" data-testid="webhook-list">
              {d.subscriptions.map((s) => (
                <SubscriptionCard
                  key={s.id}
                  sub={s}
                  onChanged={replace}
                  onSecret={(value) => setSecret({ id: s.id, value })}
                  onDeleted={() =>
                    subs.setData((prev) =>
                      prev
                        ? { subscriptions: prev.subscriptions.filter((x) => x.id !== s.id) }
                        : prev,
                    )
                  }
                />
              ))}
            </ul>
          )
        }
      </Async>
    </main>
  );
}

/** The signing secret, shown once: copy it now or rotate it later. */
function SecretBox({ value, onDone }: { value: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  const copy = () => {
    const node = document.querySelector('[data-testid="webhook-secret"]');
    const selectText = () => {
      const selection = window.getSelection();
      if (!node || !selection) return;
      const range = document.createRange();
      range.selectNodeContents(node);
      selection.removeAllRanges();
      selection.addRange(range);
    };
    if (!navigator.clipboard) return selectText();
    navigator.clipboard.writeText(value).then(() => setCopied(true), selectText);
  };
  return (
    <section className="card wh-secret" role="status" data-testid="webhook-secret-box">
      <h2>{t('integrations.secretTitle')}</h2>
      <p>{t('integrations.secretOnce')}</p>
      <code className="wh-code" data-testid="webhook-secret">
        {value}
      </code>
      <div className="wh-actions">
        <Button
          variant="secondary"
          className="btn-small"
          onClick={copy}
          data-testid="webhook-secret-copy"
        >
          {copied ? t('integrations.copied') : t('integrations.copy')}
        </Button>
        <Button className="btn-small" onClick={onDone} data-testid="webhook-secret-done">
          {t('integrations.secretSaved')}
        </Button>
      </div>
    </section>
  );
}

function EventChecks({
  chosen,
  onChange,
  error,
}: {
  chosen: Set<WebhookEventType>;
  onChange: (next: Set<WebhookEventType>) => void;
  error?: string | undefined;
}) {
  const { t } = useTranslation();
  return (
    <fieldset className="checks" data-testid="webhook-events">
      <legend>{t('integrations.events')}</legend>
      {EVENT_TYPES.map((type) => (
        <label key={type} className="check">
          <input
            type="checkbox"
            value={type}
            checked={chosen.has(type)}
            data-testid={`webhook-event-${type}`}
            onChange={(e) => {
              const next = new Set(chosen);
              if (e.target.checked) next.add(type);
              else next.delete(type);
              onChange(next);
            }}
          />
          <span>
            {t(eventKey(type))} <small className="muted">{type}</small>
          </span>
        </label>
      ))}
      {error && <p className="field-error">{error}</p>}
    </fieldset>
  );
}

function SubscriptionForm({
  onClose,
  onCreated,
}: {
  onClose: () => void;
  onCreated: (s: WebhookSubscription, secret: string) => void;
}) {
  const { t } = useTranslation();
  const fe = useFieldError();
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState(new Set<WebhookEventType>(EVENT_TYPES));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [touched, setTouched] = useState(false);
  const issue = urlIssue(url);

  async function save() {
    setTouched(true);
    if (issue || events.size === 0) return;
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<{ subscription: WebhookSubscription; secret: string }>(
        '/shop/webhooks',
        {
          url: url.trim(),
          events: EVENT_TYPES.filter((e) => events.has(e)),
          ...(description.trim() && { description: description.trim() }),
        },
      );
      onCreated(res.subscription, res.secret);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="card form"
      data-testid="webhook-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2>{t('integrations.add')}</h2>
      <TextField
        label={t('integrations.url')}
        type="url"
        inputMode="url"
        autoComplete="off"
        placeholder="https://erp.example.com/cunbo"
        value={url}
        maxLength={500}
        data-testid="webhook-url"
        hint={t('integrations.urlHint')}
        error={
          (touched && issue ? t(`integrations.urlIssue.${issue}`) : undefined) ?? fe(error, 'url')
        }
        onChange={(e) => setUrl(e.target.value)}
      />
      <TextField
        label={t('integrations.description')}
        placeholder={t('integrations.descriptionPlaceholder')}
        value={description}
        maxLength={200}
        data-testid="webhook-description"
        onChange={(e) => setDescription(e.target.value)}
      />
      <EventChecks
        chosen={events}
        onChange={setEvents}
        error={touched && events.size === 0 ? t('integrations.pickEvents') : undefined}
      />
      {error && !fe(error, 'url') ? <ErrorNote error={error} /> : null}
      <div className="wh-actions">
        <Button type="submit" busy={busy} data-testid="webhook-save">
          {t('integrations.save')}
        </Button>
        <Button variant="secondary" onClick={onClose}>
          {t('integrations.cancel')}
        </Button>
      </div>
    </form>
  );
}

function SubscriptionCard({
  sub,
  onChanged,
  onSecret,
  onDeleted,
}: {
  sub: WebhookSubscription;
  onChanged: (s: WebhookSubscription) => void;
  onSecret: (secret: string) => void;
  onDeleted: () => void;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirm, setConfirm] = useState<'delete' | 'rotate' | null>(null);
  const [log, setLog] = useState(false);
  const [editing, setEditing] = useState(false);
  const [tested, setTested] = useState(false);

  async function run(what: string, work: () => Promise<void>) {
    setBusy(what);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }
  const base = `/shop/webhooks/${sub.id}`;

  return (
    <li className="card wh-sub" data-testid="webhook-item" data-active={sub.active}>
      <div className="wh-sub-head">
        <span className={`wh-state ${sub.active ? 'on' : 'off'}`} data-testid="webhook-state">
          {sub.active ? t('integrations.active') : t('integrations.paused')}
        </span>
        <code className="wh-url" data-testid="webhook-item-url">
          {sub.url}
        </code>
      </div>
      {sub.description && <p className="wh-desc">{sub.description}</p>}
      <p className="wh-events">
        {sub.events.map((e) => (
          <span key={e} className="status-chip">
            {t(eventKey(e))}
          </span>
        ))}
      </p>
      <ul className="wh-stats" data-testid="webhook-stats">
        <li>
          <strong>{sub.stats.succeeded}</strong>
          {t('integrations.stats.succeeded')}
        </li>
        <li className={sub.stats.pending > 0 ? 'warn' : ''}>
          <strong>{sub.stats.pending}</strong>
          {t('integrations.stats.pending')}
        </li>
        <li className={sub.stats.failed > 0 ? 'bad' : ''}>
          <strong>{sub.stats.failed}</strong>
          {t('integrations.stats.failed')}
        </li>
      </ul>

      {editing ? (
        <EditEvents
          sub={sub}
          onClose={() => setEditing(false)}
          onSaved={(s) => {
            onChanged(s);
            setEditing(false);
          }}
        />
      ) : (
        <div className="wh-actions">
          <Button
            variant="secondary"
            className="btn-small"
            busy={busy === 'active'}
            data-testid="webhook-toggle"
            onClick={() =>
              void run('active', async () => {
                const res = await api.patch<{ subscription: WebhookSubscription }>(base, {
                  active: !sub.active,
                });
                onChanged(res.subscription);
              })
            }
          >
            {sub.active ? t('integrations.pause') : t('integrations.resume')}
          </Button>
          <Button
            variant="secondary"
            className="btn-small"
            busy={busy === 'test'}
            disabled={!sub.active}
            data-testid="webhook-test"
            onClick={() =>
              void run('test', async () => {
                await api.post(`${base}/test`);
                setTested(true);
                setLog(true);
              })
            }
          >
            {t('integrations.test')}
          </Button>
          <Button
            variant="secondary"
            className="btn-small"
            onClick={() => setEditing(true)}
            data-testid="webhook-edit"
          >
            {t('integrations.editEvents')}
          </Button>
          <Button
            variant="ghost"
            className="btn-small"
            onClick={() => setLog((v) => !v)}
            aria-expanded={log}
            data-testid="webhook-log-toggle"
          >
            {log ? t('integrations.hideLog') : t('integrations.showLog')}
          </Button>
          <Button
            variant="ghost"
            className="btn-small"
            onClick={() => setConfirm('rotate')}
            data-testid="webhook-rotate"
          >
            {t('integrations.rotate')}
          </Button>
          <Button
            variant="ghost"
            className="btn-small"
            onClick={() => setConfirm('delete')}
            data-testid="webhook-delete"
          >
            {t('integrations.delete')}
          </Button>
        </div>
      )}
      {tested && <p className="muted">{t('integrations.testSent')}</p>}

      {confirm && (
        <div className="confirm-box" role="alertdialog" aria-labelledby={`q-${sub.id}`}>
          <p id={`q-${sub.id}`}>
            {confirm === 'delete'
              ? t('integrations.deleteConfirm')
              : t('integrations.rotateConfirm')}
          </p>
          <Button
            variant="danger"
            busy={busy === confirm}
            data-testid="webhook-confirm"
            onClick={() =>
              void run(confirm, async () => {
                if (confirm === 'delete') {
                  await api.delete(base);
                  onDeleted();
                } else {
                  const res = await api.post<{
                    subscription: WebhookSubscription;
                    secret: string;
                  }>(`${base}/rotate-secret`);
                  onChanged(res.subscription);
                  onSecret(res.secret);
                }
                setConfirm(null);
              })
            }
          >
            {confirm === 'delete' ? t('integrations.deleteYes') : t('integrations.rotateYes')}
          </Button>
          <Button variant="secondary" onClick={() => setConfirm(null)}>
            {t('integrations.cancel')}
          </Button>
        </div>
      )}
      <ErrorNote error={error} />
      {log && <DeliveryLog subscriptionId={sub.id} />}
    </li>
  );
}

function EditEvents({
  sub,
  onClose,
  onSaved,
}: {
  sub: WebhookSubscription;
  onClose: () => void;
  onSaved: (s: WebhookSubscription) => void;
}) {
  const { t } = useTranslation();
  const fe = useFieldError();
  const [events, setEvents] = useState(new Set<WebhookEventType>(sub.events));
  const [url, setUrl] = useState(sub.url);
  const [description, setDescription] = useState(sub.description);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const issue = urlIssue(url);
  return (
    <form
      className="form wh-edit"
      data-testid="webhook-edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (issue || events.size === 0) return;
        setBusy(true);
        setError(null);
        api
          .patch<{ subscription: WebhookSubscription }>(`/shop/webhooks/${sub.id}`, {
            url: url.trim(),
            description: description.trim(),
            events: EVENT_TYPES.filter((x) => events.has(x)),
          })
          .then((res) => onSaved(res.subscription), setError)
          .finally(() => setBusy(false));
      }}
    >
      <TextField
        label={t('integrations.url')}
        type="url"
        value={url}
        maxLength={500}
        error={(issue ? t(`integrations.urlIssue.${issue}`) : undefined) ?? fe(error, 'url')}
        onChange={(e) => setUrl(e.target.value)}
      />
      <TextField
        label={t('integrations.description')}
        value={description}
        maxLength={200}
        onChange={(e) => setDescription(e.target.value)}
      />
      <EventChecks
        chosen={events}
        onChange={setEvents}
        error={events.size === 0 ? t('integrations.pickEvents') : undefined}
      />
      {error && !fe(error, 'url') ? <ErrorNote error={error} /> : null}
      <div className="wh-actions">
        <Button type="submit" className="btn-small" busy={busy} data-testid="webhook-edit-save">
          {t('integrations.save')}
        </Button>
        <Button variant="secondary" className="btn-small" onClick={onClose}>
          {t('integrations.cancel')}
        </Button>
      </div>
    </form>
  );
}

const FILTERS: Array<DeliveryStatus | ''> = ['', 'failed', 'pending', 'succeeded'];

/** A subscription's deliveries, newest first, with paging and a status filter. */
function DeliveryLog({ subscriptionId }: { subscriptionId: string }) {
  const { t, i18n } = useTranslation();
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [before, setBefore] = useState<string[]>([]);
  const page = useApi<{ deliveries: WebhookDelivery[] }>(
    `/shop/webhooks/${subscriptionId}/deliveries`,
    { status: status || undefined, limit: PAGE, before: before.at(-1) },
  );
  const [open, setOpen] = useState<string | null>(null);

  // Attempts keep coming in the background: look again every few seconds while it is open.
  useEffect(() => {
    const timer = setInterval(page.reload, 5000);
    return () => clearInterval(timer);
  }, [page.reload]);

  return (
    <section className="wh-log" data-testid="webhook-log" aria-label={t('integrations.log')}>
      <div className="wh-filter" role="group" aria-label={t('integrations.filter')}>
        {FILTERS.map((f) => (
          <button
            key={f || 'all'}
            type="button"
            aria-pressed={status === f}
            data-testid={`webhook-filter-${f || 'all'}`}
            onClick={() => {
              setStatus(f);
              setBefore([]);
            }}
          >
            {f ? t(`integrations.status.${f}`) : t('integrations.all')}
          </button>
        ))}
      </div>
      <Async state={page}>
        {(d) =>
          d.deliveries.length === 0 ? (
            <Empty>{t('integrations.noDeliveries')}</Empty>
          ) : (
            <>
              <ul className="wh-deliveries">
                {d.deliveries.map((x) => (
                  <li key={x.id} data-testid="webhook-delivery" data-status={x.status}>
                    <button
                      type="button"
                      className="wh-delivery-row"
                      aria-expanded={open === x.id}
                      onClick={() => setOpen(open === x.id ? null : x.id)}
                    >
                      <span className={`wh-dot ${x.status}`} aria-hidden="true" />
                      <span className="wh-delivery-main">
                        <strong>{t(eventKey(x.type))}</strong>
                        <small className="muted">
                          {formatDateTime(x.createdAt, i18n.language)} ·{' '}
                          {t('integrations.attempts', { count: x.attempts })}
                          {lastOutcome(x) && ` · ${lastOutcome(x)}`}
                        </small>
                      </span>
                      <span
                        className={`wh-status ${x.status}`}
                        data-testid="webhook-delivery-status"
                      >
                        {t(`integrations.status.${x.status}`)}
                      </span>
                    </button>
                    {open === x.id && (
                      // A new attempt shows up here as soon as the log sees it.
                      <DeliveryView
                        key={`${x.status}-${x.attempts}`}
                        id={x.id}
                        onResent={page.reload}
                      />
                    )}
                  </li>
                ))}
              </ul>
              <div className="wh-actions">
                {before.length > 0 && (
                  <Button
                    variant="ghost"
                    className="btn-small"
                    onClick={() => setBefore((b) => b.slice(0, -1))}
                  >
                    ‹ {t('integrations.newer')}
                  </Button>
                )}
                {nextBefore(d.deliveries, PAGE) && (
                  <Button
                    variant="ghost"
                    className="btn-small"
                    onClick={() => setBefore((b) => [...b, nextBefore(d.deliveries, PAGE)!])}
                  >
                    {t('integrations.older')} ›
                  </Button>
                )}
              </div>
            </>
          )
        }
      </Async>
    </section>
  );
}

function DeliveryView({ id, onResent }: { id: string; onResent: () => void }) {
  const { t, i18n } = useTranslation();
  const detail = useApi<DeliveryDetail>(`/shop/webhook-deliveries/${id}`);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <div className="wh-detail" data-testid="webhook-delivery-detail">
      <Async state={detail}>
        {(d) => (
          <>
            <p className="muted">
              webhook-id <code>{d.event.id}</code>
            </p>
            {d.delivery.status !== 'pending' && (
              <Button
                className="btn-small"
                busy={busy}
                data-testid="webhook-resend"
                onClick={() => {
                  setBusy(true);
                  setError(null);
                  api
                    .post(`/shop/webhook-deliveries/${id}/resend`)
                    .then(() => {
                      detail.reload();
                      onResent();
                    }, setError)
                    .finally(() => setBusy(false));
                }}
              >
                {t('integrations.resend')}
              </Button>
            )}
            {d.delivery.status === 'pending' && (
              <p className="notice">{t('integrations.pendingHint')}</p>
            )}
            <ErrorNote error={error} />
            <h3>{t('integrations.attemptsTitle')}</h3>
            {d.attempts.length === 0 ? (
              <p className="muted">{t('integrations.noAttempts')}</p>
            ) : (
              <ol className="wh-attempts" data-testid="webhook-attempts">
                {d.attempts.map((a, i) => (
                  <li key={`${a.at}-${i}`}>
                    <span>
                      {formatDateTime(a.at, i18n.language)} ·{' '}
                      <strong>{a.statusCode ?? a.error ?? '—'}</strong> · {a.durationMs} ms
                    </span>
                    {a.responseBody && <pre className="wh-code">{a.responseBody}</pre>}
                  </li>
                ))}
              </ol>
            )}
            <details>
              <summary>{t('integrations.payload')}</summary>
              <pre className="wh-code">{JSON.stringify(d.event.payload, null, 2)}</pre>
            </details>
          </>
        )}
      </Async>
    </div>
  );
}
