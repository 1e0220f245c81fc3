import { useEffect, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { Order, OrderTimeline as Timeline } from '../../api/types.ts';
import { useApi } from '../../app/use-api.ts';
import { Link } from 'wouter';
import { downloads } from './board-view.ts';
import { formatDateTime } from '../../lib/time.ts';
import { buildTimeline, logEntries, newestFirst } from './timeline.ts';
import './fulfilment.css';

/** While the parcel moves, the page asks again this often (and when the phone is picked up). */
const POLL_MS = 10_000;
const MOVING = new Set<Order['status']>([
  'paid',
  'cod_confirmed',
  'packed',
  'handed_to_hub',
  'in_transit',
]);

/**
 * The parcel's road on the order page: a vertical stepper with the time of each step, the
 * parcel code and the carrier's tracking number, and everything that happened, newest first.
 * `onMoved` is told when the timeline shows a status the page does not have yet; `fallback`
 * (the short progress bar) stands in when the timeline cannot be read.
 */
export function OrderTimeline({
  order,
  onMoved,
  fallback,
}: {
  order: Order;
  onMoved: () => void;
  fallback: ReactNode;
}) {
  const { t, i18n } = useTranslation();
  const timeline = useApi<Timeline>(`/orders/${order.id}/timeline`);
  const { reload } = timeline;
  const moving = MOVING.has(order.status);

  useEffect(() => {
    if (!moving) return;
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, POLL_MS);
    const onVisible = () => document.visibilityState === 'visible' && reload();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [moving, reload]);

  // The page changed the order (cancelled it, or heard it moved): read the road again.
  const seenStatus = useRef(order.status);
  useEffect(() => {
    if (seenStatus.current === order.status) return;
    seenStatus.current = order.status;
    reload();
  }, [order.status, reload]);

  const events = timeline.data?.events;
  const latestStatus = events && newestFirst(events.filter((e) => e.kind === 'status'))[0]?.code;
  // Only a new status from the server asks the page to reload, not a new callback.
  const onMovedRef = useRef(onMoved);
  useEffect(() => {
    onMovedRef.current = onMoved;
  });
  useEffect(() => {
    if (latestStatus && latestStatus !== order.status) onMovedRef.current();
  }, [latestStatus, order.status]);

  if (!timeline.data) return timeline.error ? fallback : null;
  const { parcel } = timeline.data;
  const view = buildTimeline(timeline.data.events, order);
  const log = logEntries(timeline.data.events);
  const time = (iso: string) => formatDateTime(iso, i18n.language);

  return (
    <div className="timeline" data-testid="order-timeline">
      {parcel && (
        <dl className="parcel-ids">
          <div>
            <dt>{t('fulfilment.timeline.parcelCode')}</dt>
            <dd data-testid="timeline-parcel-code">{parcel.code}</dd>
          </div>
          {parcel.trackingNumber && (
            <div>
              <dt>{t('fulfilment.timeline.trackingNumber')}</dt>
              <dd data-testid="timeline-tracking-number">
                {parcel.trackingNumber}
                {parcel.carrier && (
                  <span className="muted carrier-name">
                    {t(`fulfilment.carriers.${parcel.carrier}`, parcel.carrier)}
                  </span>
                )}
              </dd>
            </div>
          )}
        </dl>
      )}
      {view.stopped && (
        <p className="notice" data-testid="timeline-stopped">
          {t(`orderStatus.${view.stopped.status}`)} · {time(view.stopped.at)}
        </p>
      )}
      <ol className="vsteps" aria-label={t('order.progress')}>
        {view.steps.map((s) => (
          <li
            key={s.step}
            className={s.state}
            data-testid="timeline-step"
            data-step={s.step}
            data-state={s.state}
            aria-current={s.state === 'current' ? 'step' : undefined}
          >
            <span className="vstep-label">
              {s.step === 'confirmed'
                ? t(
                    `fulfilment.steps.${view.confirmedAs ?? (order.paymentMethod === 'cod' ? 'cod_confirmed' : 'paid')}`,
                  )
                : t(`fulfilment.steps.${s.step}`)}
            </span>
            {s.at && s.state !== 'todo' && <time dateTime={s.at}>{time(s.at)}</time>}
            {s.location && <span className="muted vstep-where">{s.location}</span>}
          </li>
        ))}
      </ol>
      {log.length > 0 && (
        <details className="timeline-log">
          <summary>{t('fulfilment.timeline.allEvents', { count: log.length })}</summary>
          <ul>
            {log.map((e, i) => (
              <li key={`${e.kind}-${e.code}-${e.at}-${i}`} data-testid="timeline-event">
                <time dateTime={e.at}>{time(e.at)}</time>
                <span>
                  {e.kind === 'status'
                    ? t(`orderStatus.${e.code}`, e.code)
                    : t(`fulfilment.tracking.${e.code}`, e.code)}
                </span>
              </li>
            ))}
          </ul>
        </details>
      )}
    </div>
  );
}

/** On the seller's view of an order: where to pack it, then its label. */
export function SellerParcelLinks({ order }: { order: Pick<Order, 'id' | 'status'> }) {
  const { t } = useTranslation();
  if (order.status === 'paid' || order.status === 'cod_confirmed')
    return (
      <Link
        href="/studio/orders"
        className="btn btn-primary btn-block"
        data-testid="order-to-board"
      >
        {t('fulfilment.board.goPack')}
      </Link>
    );
  if (order.status === 'packed' || order.status === 'handed_to_hub')
    return (
      <a
        href={downloads.label(order.id)}
        target="_blank"
        rel="noopener"
        className="btn btn-secondary btn-block"
        data-testid="order-label"
      >
        {t('fulfilment.board.label')}
      </a>
    );
  return null;
}
