import type { PinnedProductCard } from '@cunbo/shared';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../../api/client.ts';
import type { Live, Order } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { useErrorText } from '../../components/error-text.ts';
import { Async, Button, ErrorNote, Loading } from '../../components/ui.tsx';
import { formatMoney } from '../../lib/money.ts';
import { compactNumber } from '../../lib/numbers.ts';
import { photoAt } from '../../lib/photo.ts';
import { ChatInput, ChatList } from '../lives/chat-panel.tsx';
import { ConnectionBadge, LiveStateBadge, stageState } from '../lives/live-status.tsx';
import { useLiveRoom } from '../lives/use-live-room.ts';
import { SignInRequired } from '../orders/orders-page.tsx';
import { BroadcastPanel } from './broadcast-panel.tsx';
import { ObsSetup } from './obs-setup.tsx';
import { useLiveControls } from './shows-section.tsx';
import { useBroadcast, whipUrl } from './use-broadcast.ts';
import { Icon } from '../../components/icons.tsx';

export function LiveControlPage({ id }: { id: string }) {
  const { user } = useSession();
  const live = useApi<{ live: Live }>(user ? `/lives/${id}` : null);
  if (user === undefined) return <Loading />;
  if (user === null) return <SignInRequired />;
  return (
    <main className="page page-wide">
      <Async state={live}>{(d) => <ControlPanel initial={d.live} sessionKey={user.id} />}</Async>
    </main>
  );
}

function ControlPanel({ initial, sessionKey }: { initial: Live; sessionKey: string }) {
  const { t, i18n } = useTranslation();
  const errorText = useErrorText();
  const [live, setLive] = useState(initial);
  const { room, connection, dispatch, sendChat } = useLiveRoom(live.id, { sessionKey });
  const status = room.status ?? live.status;
  const broadcast = useBroadcast({
    liveId: live.id,
    streamKey: live.streamKey,
    cameraOn: status !== 'ended',
    hostStream: room.stream,
    hostStreamAt: room.streamAt,
  });
  const controls = useLiveControls((l) => {
    setLive(l);
    dispatch({ type: 'status', status: l.status });
  });
  const [pinBusy, setPinBusy] = useState<string | null>(null);
  const [pinError, setPinError] = useState<unknown>(null);
  const [ordersError, setOrdersError] = useState<unknown>(null);
  const state = stageState(room.joined ? status : null, connection);
  const pinned = room.joined ? room.pinned : live.pinnedProduct;
  const lang = i18n.language;

  useEffect(() => {
    document.title = `${t('control.title')} · ${live.title}`;
  }, [live.title, t]);

  // Orders placed before this page opened come from the API; new ones arrive on the socket at
  // once, as summaries. The API is read again shortly after a burst (names, addresses) and
  // every 20 s, since the room does not announce payments (waiting for payment → paid).
  const liveId = live.id;
  const loadOrders = useCallback(
    () =>
      api
        .get<{ orders: Order[] }>('/orders', { query: { liveId, as: 'seller', limit: 100 } })
        .then((r) => {
          setOrdersError(null);
          dispatch({ type: 'seed-orders', orders: r.orders, now: Date.now() });
        })
        .catch((err: unknown) => setOrdersError(err)),
    [liveId, dispatch],
  );
  useEffect(() => {
    const first = setTimeout(() => void loadOrders(), 0);
    const timer = setInterval(
      () => document.visibilityState === 'visible' && void loadOrders(),
      20_000,
    );
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [loadOrders]);
  const orderCount = room.orders.length;
  useEffect(() => {
    if (orderCount === 0) return;
    const timer = setTimeout(() => void loadOrders(), 2000);
    return () => clearTimeout(timer);
  }, [orderCount, loadOrders]);

  // "Go live": the camera goes on air, and the show starts if it has not. Without a camera
  // the show does not start from here (the error says why; OBS users start it from the list).
  async function goLive() {
    const publishing = await broadcast.goOnAir();
    if (!publishing) return;
    if (status === 'scheduled' && !(await controls.run(live, 'start'))) await broadcast.stop();
  }

  // "End": the show ends first (viewers see "ended", not "host offline"), then the video stops.
  async function end() {
    if (await controls.run(live, 'end')) await broadcast.stop();
  }

  async function pin(productId: string | null) {
    setPinBusy(productId ?? 'none');
    setPinError(null);
    try {
      const res = await api.post<{ live: Live }>(`/lives/${live.id}/pin`, { productId });
      setLive(res.live);
      dispatch({ type: 'pinned', product: res.live.pinnedProduct });
    } catch (err) {
      setPinError(err);
    } finally {
      setPinBusy(null);
    }
  }

  const card = (p: PinnedProductCard): PinnedProductCard => {
    const s = room.stock[p.id];
    return s === undefined ? p : { ...p, stock: s };
  };
  const counted = room.orders.filter((o) => o.status !== 'cancelled' && o.status !== 'refunded');
  const revenue = counted.reduce((sum, o) => sum + o.total, 0);

  return (
    <div className="control" data-testid="live-control">
      <header className="control-head">
        <p>
          <Link href="/studio?tab=shows">‹ {t('studio.title')}</Link>
        </p>
        <h1>{live.title}</h1>
        <div className="control-status">
          <LiveStateBadge state={state} />
          <ConnectionBadge connection={connection} />
          <span className="stat" data-testid="viewer-count">
            <Icon name="eye" size={16} /> {t('live.viewers', { count: room.viewers })}
          </span>
          <span className="stat" data-testid="like-count">
            ♥ {compactNumber(room.likes, lang)}
          </span>
        </div>
        <div className="control-actions">
          {status === 'scheduled' && (
            <Button
              busy={controls.busy !== null || broadcast.phase === 'connecting'}
              onClick={() => void goLive()}
              data-testid="studio-go-live"
            >
              {t('studio.goLive')}
            </Button>
          )}
          {status === 'live' && (
            <Button
              variant="danger"
              busy={controls.busy !== null}
              onClick={() => void end()}
              data-testid="studio-end"
            >
              {t('studio.end')}
            </Button>
          )}
          <Link href={`/lives/${live.id}`} className="btn btn-ghost" target="_blank" rel="noopener">
            {t('studio.viewerPage')} ↗
          </Link>
        </div>
        {controls.error ? <ErrorNote error={controls.error} /> : null}
      </header>

      <div className="control-grid">
        {live.streamKey && status !== 'ended' && (
          <BroadcastPanel
            broadcast={broadcast}
            showStatus={status}
            otherSource={room.stream === 'live'}
            onGoLive={() => void goLive()}
          />
        )}
        <section className="card" aria-labelledby="pin-h">
          <h2 id="pin-h">{t('control.products')}</h2>
          <p className="muted">{t('control.pinHint')}</p>
          {pinError ? (
            <p className="field-error" role="alert">
              {errorText(pinError)}
            </p>
          ) : null}
          {live.products.length === 0 && <p className="muted">{t('control.noProducts')}</p>}
          <ul className="product-rows" data-testid="control-products">
            {live.products.map((p) => {
              const c = card(p);
              const isPinned = pinned?.id === p.id;
              return (
                <li
                  key={p.id}
                  className={isPinned ? 'pinned' : ''}
                  data-testid="control-product"
                  data-product-id={p.id}
                  data-pinned={isPinned}
                >
                  {c.photoUrl ? (
                    <img
                      src={photoAt(c.photoUrl, 320)}
                      alt=""
                      width={56}
                      height={56}
                      loading="lazy"
                    />
                  ) : (
                    <span className="thumb-empty" aria-hidden="true" />
                  )}
                  <div>
                    <p className="show-title">{c.title}</p>
                    <p className="muted">
                      {formatMoney(c.price, c.currency)} / {c.unit} ·{' '}
                      <span
                        className={c.stock <= 0 ? 'soldout-text' : ''}
                        data-testid="control-stock"
                      >
                        {c.stock <= 0
                          ? t('product.soldOut')
                          : t('product.left', { n: c.stock, unit: c.unit })}
                      </span>
                    </p>
                  </div>
                  {isPinned ? (
                    <Button
                      variant="secondary"
                      className="btn-small"
                      busy={pinBusy === 'none'}
                      disabled={status === 'ended'}
                      onClick={() => void pin(null)}
                      data-testid="studio-unpin"
                    >
                      {t('control.unpin')}
                    </Button>
                  ) : (
                    <Button
                      className="btn-small"
                      busy={pinBusy === p.id}
                      disabled={status === 'ended'}
                      onClick={() => void pin(p.id)}
                      data-testid="studio-pin"
                    >
                      {t('control.pin')}
                    </Button>
                  )}
                </li>
              );
            })}
          </ul>
        </section>

        <section className="card" aria-labelledby="orders-h">
          <h2 id="orders-h">
            {t('control.orders')}{' '}
            <span className="badge-inline" data-testid="incoming-order-count">
              {counted.length}
            </span>
          </h2>
          <p className="muted" data-testid="incoming-revenue">
            {t('control.revenue', { total: formatMoney(revenue) })}
          </p>
          {ordersError ? <ErrorNote error={ordersError} /> : null}
          {room.orders.length === 0 && <p className="muted">{t('control.noOrders')}</p>}
          <ul className="incoming-orders" data-testid="incoming-orders" aria-live="polite">
            {room.orders.map((o) => (
              <li key={o.id} data-testid="incoming-order" data-order-id={o.id}>
                <Link href={`/orders/${o.id}`}>
                  <span>
                    {o.items.map((i) => `${i.title} × ${i.quantity} ${i.unit}`).join('，')}
                  </span>
                  <strong>{formatMoney(o.total, o.currency)}</strong>
                </Link>
                <span className="muted">
                  {o.shippingAddress && `${o.shippingAddress.name} · `}
                  {t(`orderStatus.${o.status}`, { defaultValue: o.status })} ·{' '}
                  {new Date(o.createdAt).toLocaleTimeString(lang === 'zh' ? 'zh-CN' : lang, {
                    hour: '2-digit',
                    minute: '2-digit',
                  })}
                </span>
              </li>
            ))}
          </ul>
        </section>

        <section className="card control-chat" aria-labelledby="chat-h">
          <h2 id="chat-h">{t('live.chat')}</h2>
          <ChatList lines={room.chat} className="light" />
          <ChatInput
            canChat={room.canChat}
            signedIn
            connected={connection.state === 'open'}
            ended={status === 'ended'}
            onSend={sendChat}
            error={room.lastError?.message ?? null}
          />
        </section>

        {live.streamKey && status !== 'ended' && (
          <ObsSetup whipUrl={whipUrl(live.id)} streamKey={live.streamKey} />
        )}
      </div>
    </div>
  );
}
