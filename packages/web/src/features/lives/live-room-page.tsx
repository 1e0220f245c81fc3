import type { PinnedProductCard } from '@cunbo/shared';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Live } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { ErrorNote, Loading } from '../../components/ui.tsx';
import { formatMoney } from '../../lib/money.ts';
import { compactNumber } from '../../lib/numbers.ts';
import { photoAt } from '../../lib/photo.ts';
import { BuySheet } from '../orders/buy-sheet.tsx';
import { FollowButton } from '../shops/follow-button.tsx';
import { ChatInput, ChatList } from './chat-panel.tsx';
import { Hearts, type HeartsHandle } from './hearts.tsx';
import { ConnectionBadge, LiveStateBadge, StageOverlay, stageState } from './live-status.tsx';
import type { PurchaseToast } from './live-room-state.ts';
import { PinnedCard } from './pinned-card.tsx';
import { useLiveRoom } from './use-live-room.ts';
import { Icon } from '../../components/icons.tsx';
import { LiveVideo } from '../video/live-video.tsx';
import { ReplayChapters } from './replay-chapters.tsx';
import { currentChapter } from '../video/replay.ts';
import { ReplayVideo, type ReplayVideoHandle } from '../video/replay-video.tsx';
import { FlashOverlay } from '../flash/flash-overlay.tsx';

export function LiveRoomPage({ id }: { id: string }) {
  const { user } = useSession();
  const live = useApi<{ live: Live }>(`/lives/${id}`);
  if (live.error && !live.data) {
    return (
      <main className="page">
        <ErrorNote error={live.error} onRetry={live.reload} />
        <Link href="/">←</Link>
      </main>
    );
  }
  // Join once we know who we are: the room tells signed-in viewers they may chat.
  if (!live.data || user === undefined) return <Loading />;
  return <LiveRoom live={live.data.live} sessionKey={user?.id ?? 'anon'} reload={live.reload} />;
}

function LiveRoom({
  live,
  sessionKey,
  reload,
}: {
  live: Live;
  sessionKey: string;
  /** Reads the show again (its playback URLs appear when it goes live). */
  reload: () => void;
}) {
  const { t, i18n } = useTranslation();
  const { user } = useSession();
  const { room, connection, dispatch, sendChat, like, onLikes } = useLiveRoom(live.id, {
    sessionKey,
  });
  const hearts = useRef<HeartsHandle>(null);
  const [buying, setBuying] = useState<PinnedProductCard | null>(null);
  const [showProducts, setShowProducts] = useState(false);
  const status = room.status ?? live.status;
  const state = stageState(room.joined ? status : null, connection);
  const pinned = room.joined ? room.pinned : live.pinnedProduct;
  const lang = i18n.language;
  const hasPlayback = Boolean(live.playback);
  // After the show: its recording, with a chapter at each product the host pinned.
  const replay = status === 'ended' ? (live.replay ?? null) : null;
  const replayRef = useRef<ReplayVideoHandle>(null);
  const [replayTime, setReplayTime] = useState(0);
  const [chosenChapter, setChosenChapter] = useState<number | null>(null);
  const playingChapter = replay ? currentChapter(replay.chapters, replayTime) : -1;

  // The show went live while we were here: its playback URLs come with the show.
  useEffect(() => {
    if (status === 'live' && !hasPlayback) reload();
  }, [status, hasPlayback, reload]);

  // Remote likes float too (capped), so a quiet viewer still sees the room's mood.
  useEffect(() => {
    onLikes((count) => hearts.current?.burst(count));
    return () => onLikes(null);
  }, [onLikes]);

  useEffect(() => {
    document.title = `${live.title} · ${t('app.name')}`;
  }, [live.title, t]);

  // Keep the sheet's card in step with stock events.
  const current = useCallback(
    (card: PinnedProductCard): PinnedProductCard => {
      if (pinned && pinned.id === card.id) return pinned;
      const s = room.stock[card.id];
      return s === undefined ? card : { ...card, stock: s };
    },
    [pinned, room.stock],
  );

  // The replay's card: the chapter playing now (a tapped chapter until playback reaches it).
  const replayChapter = chosenChapter ?? playingChapter;
  const replayProductId = replay?.chapters[replayChapter]?.productId;
  const replayCard = replayProductId
    ? (live.products.find((p) => p.id === replayProductId) ?? null)
    : null;
  const shownCard = replay ? (replayCard ? current(replayCard) : null) : pinned;

  const onReplayTime = useCallback(
    (seconds: number) => {
      setReplayTime(seconds);
      setChosenChapter((chosen) =>
        chosen !== null && replay && currentChapter(replay.chapters, seconds) === chosen
          ? null
          : chosen,
      );
    },
    [replay],
  );

  const seekChapter = (index: number) => {
    const chapter = replay?.chapters[index];
    if (!chapter) return;
    setChosenChapter(index);
    replayRef.current?.seek(chapter.at);
  };

  const tapLike = () => {
    like();
    hearts.current?.burst(1);
  };

  const productTitle = (productId: string) =>
    live.products.find((p) => p.id === productId)?.title ?? '';
  const chatError = room.lastError?.message ?? null;

  return (
    <main className="live-room" data-testid="live-room" data-live-id={live.id}>
      <div className={`live-frame${replay ? ' replay' : ''}`}>
        {replay ? (
          <ReplayVideo ref={replayRef} src={replay.hls} label={live.title} onTime={onReplayTime} />
        ) : (
          <>
            <LiveVideo
              whep={live.playback?.whep ?? null}
              hls={live.playback?.hls ?? null}
              show={room.joined ? status : live.status}
              host={room.stream}
              label={live.title}
              overlay={state === 'live'}
            />
            <StageOverlay state={state} scheduledAt={live.scheduledAt} lang={lang} />
          </>
        )}

        <header className="live-top">
          <Link
            href="/"
            className="round-button"
            aria-label={t('common.back')}
            data-testid="live-back"
          >
            ‹
          </Link>
          <div className="shop-chip">
            <Link href={`/shops/${live.shop.id}`} className="shop-chip-name">
              <strong>{live.shop.name}</strong>
              <small>{live.shop.region?.area ?? ''}</small>
            </Link>
            <FollowButton shopId={live.shop.id} compact />
          </div>
          <div className="live-meta">
            {replay ? (
              <span
                className="state-badge state-replay"
                data-testid="live-state"
                data-state="replay"
                role="status"
              >
                {t('replay.badge')}
              </span>
            ) : (
              <LiveStateBadge state={state} />
            )}
            <span
              className="viewer-count"
              data-testid="viewer-count"
              aria-label={t('live.viewers', { count: room.viewers })}
            >
              <Icon name="eye" size={14} /> {compactNumber(room.viewers, lang)}
            </span>
          </div>
        </header>
        <div className="live-subbar">
          <h1 className="live-title">{live.title}</h1>
          <ConnectionBadge connection={connection} />
        </div>

        <Toasts toasts={room.toasts} lang={lang} productTitle={productTitle} />

        {!replay && (
          <FlashOverlay
            liveId={live.id}
            sessionKey={sessionKey}
            offers={room.offers}
            coupons={room.coupons}
            signedIn={Boolean(user)}
            dispatch={dispatch}
          />
        )}

        <div className="live-bottom">
          {room.missedSome && <p className="chat-gap">{t('live.missedSome')}</p>}
          <ChatList lines={room.chat} />
          {replay && replay.chapters.length > 0 && (
            <ReplayChapters
              chapters={replay.chapters}
              current={replayChapter}
              onSeek={seekChapter}
            />
          )}
          {shownCard && <PinnedCard product={shownCard} onBuy={() => setBuying(shownCard)} />}
          <div className="live-actions">
            <ChatInput
              canChat={room.canChat}
              signedIn={Boolean(user)}
              connected={connection.state === 'open'}
              ended={status === 'ended'}
              onSend={sendChat}
              error={chatError}
            />
            {live.products.length > 0 && (
              <button
                type="button"
                className="round-button bag"
                aria-label={t('live.products')}
                data-testid="products-button"
                onClick={() => setShowProducts(true)}
              >
                <Icon name="bag" size={22} />
                <span className="bag-count">{live.products.length}</span>
              </button>
            )}
            <button
              type="button"
              className="round-button like-button"
              aria-label={t('live.like')}
              data-testid="like-button"
              onClick={tapLike}
            >
              <span aria-hidden="true">♥</span>
              <span className="like-count" data-testid="like-count">
                {compactNumber(room.likes, lang)}
              </span>
            </button>
          </div>
        </div>
        <Hearts ref={hearts} />
      </div>

      {showProducts && (
        <div
          className="sheet-backdrop"
          onClick={(e) => e.target === e.currentTarget && setShowProducts(false)}
        >
          <div
            className="sheet"
            role="dialog"
            aria-modal="true"
            aria-labelledby="products-title"
            data-testid="products-sheet"
          >
            <header className="sheet-header">
              <h2 id="products-title">{t('live.products')}</h2>
              <button
                type="button"
                className="icon-button"
                aria-label={t('common.close')}
                onClick={() => setShowProducts(false)}
              >
                ✕
              </button>
            </header>
            <ul className="sheet-body product-rows">
              {live.products.map((p) => {
                const card = current(p);
                const soldOut = card.stock <= 0;
                return (
                  <li key={p.id}>
                    {card.photoUrl ? (
                      <img
                        src={photoAt(card.photoUrl, 320)}
                        alt=""
                        width={56}
                        height={56}
                        loading="lazy"
                      />
                    ) : (
                      <span className="thumb-empty" aria-hidden="true" />
                    )}
                    <div>
                      <Link href={`/products/${p.id}`}>{card.title}</Link>
                      <p>
                        {formatMoney(card.price, card.currency)} / {card.unit} ·{' '}
                        <span className={soldOut ? 'soldout-text' : 'muted'}>
                          {soldOut
                            ? t('product.soldOut')
                            : t('product.left', { n: card.stock, unit: card.unit })}
                        </span>
                      </p>
                    </div>
                    <button
                      type="button"
                      className="btn btn-primary btn-small"
                      disabled={soldOut}
                      data-testid="product-row-buy"
                      onClick={() => {
                        setShowProducts(false);
                        setBuying(card);
                      }}
                    >
                      {t('buy.buy')}
                    </button>
                  </li>
                );
              })}
            </ul>
          </div>
        </div>
      )}

      {buying && (
        <BuySheet
          product={current(buying)}
          liveId={live.id}
          shopId={live.shop.id}
          onClose={() => setBuying(null)}
        />
      )}
    </main>
  );
}

function Toasts({
  toasts,
  lang,
  productTitle,
}: {
  toasts: PurchaseToast[];
  lang: string;
  productTitle: (id: string) => string;
}) {
  const { t } = useTranslation();
  return (
    <ul className="toasts" aria-live="polite">
      {toasts.map((toast) => {
        const place = toast.countyName
          ? (toast.countyName[lang as 'zh' | 'en' | 'it'] ?? toast.countyName.zh)
          : null;
        const what = productTitle(toast.productId);
        const args = { place, quantity: toast.quantity, unit: toast.unit, product: what };
        return (
          <li key={toast.id} className="toast" data-testid="purchase-toast">
            <Icon name="cart" size={16} />{' '}
            {place ? t('live.boughtFrom', args) : t('live.boughtSomeone', args)}
          </li>
        );
      })}
    </ul>
  );
}
