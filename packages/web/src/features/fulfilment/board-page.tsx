import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../../api/client.ts';
import type { BoardOrder, Order, ParcelView, ShopBoard } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { Async, Button, Empty, ErrorNote, Loading } from '../../components/ui.tsx';
import { formatMoney } from '../../lib/money.ts';
import { formatDateTime } from '../../lib/time.ts';
import { SignInRequired } from '../orders/orders-page.tsx';
import {
  BOARD_COUNTS,
  codToCollect,
  downloads,
  isCod,
  itemsLine,
  parcelsByStage,
  unitsToPack,
  useRefreshWhileVisible,
} from './board-view.ts';
import { RegionName } from './region-name.tsx';
import './fulfilment.css';

/** The seller's order board after the show: what to pack, for whom, and where parcels are. */
export function BoardPage() {
  const { t } = useTranslation();
  const { user } = useSession();
  const board = useApi<ShopBoard>(user?.role === 'seller' && user.shopId ? '/shop/board' : null);
  useRefreshWhileVisible(board.reload);

  useEffect(() => {
    document.title = `${t('fulfilment.board.title')} · ${t('app.name')}`;
  }, [t]);

  if (user === undefined) return <Loading />;
  if (user === null) return <SignInRequired />;
  if (user.role !== 'seller' || !user.shopId) {
    return (
      <main className="page page-narrow">
        <h1>{t('fulfilment.board.title')}</h1>
        <p className="notice">
          {user.role === 'seller' ? t('studio.openShopFirst') : t('studio.sellersOnly')}
        </p>
        {user.role === 'seller' && <Link href="/studio">{t('menu.studio')}</Link>}
      </main>
    );
  }
  return (
    <main className="page fulfil" data-testid="board">
      <p>
        <Link href="/studio">‹ {t('menu.studio')}</Link>
      </p>
      <div className="card-header">
        <h1>{t('fulfilment.board.title')}</h1>
        <Button
          variant="ghost"
          className="btn-small"
          busy={board.loading && board.data !== undefined}
          onClick={board.reload}
          data-testid="board-refresh"
        >
          {t('fulfilment.refresh')}
        </Button>
      </div>
      <Async state={board}>{(d) => <Board board={d} onChanged={board.reload} />}</Async>
    </main>
  );
}

function Board({ board, onChanged }: { board: ShopBoard; onChanged: () => void }) {
  const { t } = useTranslation();
  const stages = parcelsByStage(board.packed);
  const unpickedOrderIds = [...stages.packed, ...stages.at_hub].map((p) => p.orderId);
  return (
    <>
      <ul className="fulfil-counts" aria-label={t('fulfilment.board.countsLabel')}>
        {BOARD_COUNTS.map((key) => (
          <li
            key={key}
            className={key === 'toPack' && board.counts.toPack > 0 ? 'hot' : ''}
            data-testid={`board-count-${key}`}
            data-count={board.counts[key]}
          >
            <strong>{board.counts[key]}</strong>
            <span>{t(`fulfilment.counts.${key}`)}</span>
          </li>
        ))}
      </ul>

      <section className="card">
        <h2>{t('fulfilment.board.print')}</h2>
        <div className="fulfil-actions">
          {unpickedOrderIds.length > 0 ? (
            <a
              className="btn btn-primary"
              href={downloads.labels()}
              target="_blank"
              rel="noopener"
              data-testid="board-all-labels"
            >
              {t('fulfilment.board.allLabels', { count: unpickedOrderIds.length })}
            </a>
          ) : (
            <Button disabled data-testid="board-all-labels">
              {t('fulfilment.board.allLabels', { count: 0 })}
            </Button>
          )}
          <a
            className="btn btn-secondary"
            href={downloads.packingListPdf()}
            target="_blank"
            rel="noopener"
            data-testid="board-packing-pdf"
          >
            {t('fulfilment.board.packingListPdf')}
          </a>
          <a
            className="btn btn-secondary"
            href={downloads.packingListCsv()}
            download
            data-testid="board-packing-csv"
          >
            {t('fulfilment.board.packingListCsv')}
          </a>
        </div>
        <p className="muted">{t('fulfilment.board.printHint')}</p>
      </section>

      <section>
        <h2>{t('fulfilment.board.byProduct')}</h2>
        {board.toPack.byProduct.length === 0 ? (
          <Empty>{t('fulfilment.board.nothingToPack')}</Empty>
        ) : (
          <div className="card">
            <ul className="fulfil-rows" data-testid="board-by-product">
              {board.toPack.byProduct.map((p) => (
                <li key={p.productId} data-testid="board-product" data-product-id={p.productId}>
                  <span className="fulfil-row-main">{p.title}</span>
                  <strong className="fulfil-qty">
                    {p.quantity} {p.unit}
                  </strong>
                  <span className="muted fulfil-row-sub">
                    {t('fulfilment.board.inOrders', { count: p.orders })}
                  </span>
                </li>
              ))}
            </ul>
            <p className="fulfil-total">
              {t('fulfilment.board.allUnits')}{' '}
              <strong>{unitsToPack(board.toPack.byProduct)}</strong>
            </p>
          </div>
        )}
      </section>

      {board.toPack.byBuyer.length > 0 && (
        <section>
          <h2>{t('fulfilment.board.byBuyer')}</h2>
          <ul className="fulfil-buyers">
            {board.toPack.byBuyer.map((b) => (
              <BuyerCard key={b.buyerId} buyer={b} onPacked={onChanged} />
            ))}
          </ul>
        </section>
      )}

      <section>
        <h2>{t('fulfilment.board.packedTitle')}</h2>
        {board.packed.length === 0 ? (
          <Empty>{t('fulfilment.board.nothingPacked')}</Empty>
        ) : (
          <ul className="fulfil-parcels" data-testid="board-packed">
            {(['packed', 'at_hub', 'handed_over'] as const).flatMap((stage) =>
              stages[stage].map((p) => (
                <ParcelRow key={p.id} parcel={p} withLabel={stage !== 'handed_over'} />
              )),
            )}
          </ul>
        )}
      </section>
    </>
  );
}

function BuyerCard({
  buyer,
  onPacked,
}: {
  buyer: ShopBoard['toPack']['byBuyer'][number];
  onPacked: () => void;
}) {
  const { t } = useTranslation();
  const cod = codToCollect(buyer.orders);
  return (
    <li className="card fulfil-buyer" data-testid="board-buyer" data-buyer-id={buyer.buyerId}>
      <p className="fulfil-buyer-name">
        <strong>{buyer.address.name}</strong>{' '}
        <a href={`tel:${buyer.address.phone}`}>{buyer.address.phone}</a>
        {buyer.buyerName !== buyer.address.name && (
          <span className="muted"> · {buyer.buyerName}</span>
        )}
      </p>
      <p className="muted">
        <RegionName code={buyer.address.regionCode} /> {buyer.address.line1}
      </p>
      {cod > 0 && (
        <p className="fulfil-cod" data-testid="board-cod">
          {t('fulfilment.board.codCollect', { amount: formatMoney(cod) })}
        </p>
      )}
      <ul className="fulfil-orders">
        {buyer.orders.map((o) => (
          <OrderToPack key={o.id} order={o} onPacked={onPacked} />
        ))}
      </ul>
    </li>
  );
}

function OrderToPack({ order, onPacked }: { order: BoardOrder; onPacked: () => void }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [parcel, setParcel] = useState<ParcelView | null>(null);

  async function pack() {
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<{ order: Order; parcel: ParcelView }>(`/orders/${order.id}/pack`);
      setParcel(res.parcel);
      onPacked();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <li data-testid="board-order" data-order-id={order.id}>
      <p>{itemsLine(order.items)}</p>
      <p className="muted">
        <Link href={`/orders/${order.id}`}>{formatMoney(order.total)}</Link> ·{' '}
        {isCod(order) ? t('payment.cod') : t('orderStatus.paid')}
      </p>
      {parcel ? (
        <p className="success-text">
          {t('fulfilment.board.packedAs', { code: parcel.code })}{' '}
          <a href={downloads.label(order.id)} target="_blank" rel="noopener">
            {t('fulfilment.board.label')}
          </a>
        </p>
      ) : (
        <Button block busy={busy} onClick={() => void pack()} data-testid="board-pack">
          {t('fulfilment.board.pack')}
        </Button>
      )}
      <ErrorNote error={error} testId="board-pack-error" />
    </li>
  );
}

function ParcelRow({ parcel, withLabel }: { parcel: ParcelView; withLabel: boolean }) {
  const { t, i18n } = useTranslation();
  return (
    <li
      className="card fulfil-parcel"
      data-testid="board-parcel"
      data-order-id={parcel.orderId}
      data-status={parcel.status}
    >
      <div className="fulfil-parcel-head">
        <code className="parcel-code">{parcel.code}</code>
        <span className={`status-chip parcel-${parcel.status}`}>
          {t(`fulfilment.parcelStatus.${parcel.status}`)}
        </span>
      </div>
      <p>
        {parcel.recipient.name} · <span className="muted">{parcel.recipient.regionName}</span>
      </p>
      <p className="muted">
        {parcel.scannedInAt
          ? t('fulfilment.board.atHubSince', {
              time: formatDateTime(parcel.scannedInAt, i18n.language),
            })
          : t('fulfilment.board.packedAt', {
              time: formatDateTime(parcel.packedAt, i18n.language),
            })}
        {parcel.hubId === null && <> · {t('fulfilment.board.noHub')}</>}
        {parcel.trackingNumber && (
          <>
            {' '}
            · {t('fulfilment.timeline.trackingNumber')} {parcel.trackingNumber}
          </>
        )}
      </p>
      <p className="fulfil-links">
        <Link href={`/orders/${parcel.orderId}`}>{t('fulfilment.board.seeOrder')}</Link>
        {withLabel && (
          <a
            href={downloads.label(parcel.orderId)}
            target="_blank"
            rel="noopener"
            data-testid="board-label"
          >
            {t('fulfilment.board.label')}
          </a>
        )}
      </p>
    </li>
  );
}
