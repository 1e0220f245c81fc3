import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../../api/client.ts';
import type { AppNotification } from '../../api/types.ts';
import { ErrorNote } from '../../components/ui.tsx';
import { timeAgo } from '../../lib/time.ts';
import { Icon } from '../../components/icons.tsx';
import { trackingNotice } from '../fulfilment/notices.ts';

const POLL_MS = 30_000;

interface Feed {
  notifications: AppNotification[];
  unread: number;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The bell: polls every 30 s, so a follower hears "X is live now" within half a minute. */
export function NotificationBell() {
  const { t, i18n } = useTranslation();
  const [feed, setFeed] = useState<Feed | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);

  const load = useCallback(
    () =>
      api.get<Feed>('/me/notifications', { query: { limit: 20 } }).then(
        (f) => {
          setFeed(f);
          setError(null);
        },
        (err: unknown) => setError(err),
      ),
    [],
  );

  useEffect(() => {
    const first = setTimeout(() => void load(), 0);
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void load();
    }, POLL_MS);
    const onVisible = () => document.visibilityState === 'visible' && void load();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [load]);

  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('click', close);
    return () => document.removeEventListener('click', close);
  }, [open]);

  async function toggle() {
    const opening = !open;
    setOpen(opening);
    if (opening && feed && feed.unread > 0) {
      // Seen once the list is open; the dots stay until it closes so the reader sees what is new.
      try {
        await api.post('/me/notifications/read');
        setFeed((f) => (f ? { ...f, unread: 0 } : f));
      } catch (err) {
        setError(err);
      }
    }
    if (!opening)
      setFeed((f) =>
        f ? { ...f, notifications: f.notifications.map((n) => ({ ...n, read: true })) } : f,
      );
  }

  const unread = feed?.unread ?? 0;
  return (
    <div className="menu" ref={ref}>
      <button
        type="button"
        className="icon-button bell"
        aria-label={
          unread > 0 ? t('notifications.unread', { count: unread }) : t('notifications.title')
        }
        aria-expanded={open}
        data-testid="notification-bell"
        onClick={() => void toggle()}
      >
        <Icon name="bell" size={24} />
        {unread > 0 && (
          <span className="badge" data-testid="notification-count">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      {open && (
        <div className="menu-panel notifications-panel" data-testid="notification-panel">
          <h2>{t('notifications.title')}</h2>
          {error ? <ErrorNote error={error} onRetry={() => void load()} /> : null}
          {feed && feed.notifications.length === 0 && (
            <p className="muted">{t('notifications.none')}</p>
          )}
          <ul>
            {feed?.notifications.map((n) => {
              const liveId = str(n.data.liveId);
              const tracking = trackingNotice(n);
              const text =
                n.type === 'live.started'
                  ? t('notifications.liveStarted', {
                      shop: str(n.data.shopName),
                      title: str(n.data.title),
                    })
                  : tracking
                    ? t(`fulfilment.notify.${tracking.step}`, { shop: tracking.shopName })
                    : t('notifications.other');
              return (
                <li
                  key={n.id}
                  className={n.read ? '' : 'unread'}
                  data-testid="notification-item"
                  data-type={n.type}
                >
                  {liveId ? (
                    <Link href={`/lives/${liveId}`} onClick={() => setOpen(false)}>
                      {text}
                    </Link>
                  ) : tracking ? (
                    <Link href={`/orders/${tracking.orderId}`} onClick={() => setOpen(false)}>
                      {text}
                    </Link>
                  ) : (
                    <span>{text}</span>
                  )}
                  <time dateTime={n.createdAt}>{timeAgo(n.createdAt, i18n.language)}</time>
                </li>
              );
            })}
          </ul>
        </div>
      )}
    </div>
  );
}
