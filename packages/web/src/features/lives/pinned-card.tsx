import type { PinnedProductCard } from '@cunbo/shared';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/ui.tsx';
import { formatMoney, formatPercent, upliftPercent } from '../../lib/money.ts';
import { photoAt } from '../../lib/photo.ts';

/** "Explaining now": the product the host pinned, on every viewer's screen. */
export function PinnedCard({ product, onBuy }: { product: PinnedProductCard; onBuy: () => void }) {
  const { t } = useTranslation();
  const soldOut = product.stock <= 0;
  const uplift = upliftPercent(product.price, product.traditionalPrice);
  return (
    <div
      className={`pinned-card${soldOut ? ' soldout' : ''}`}
      data-testid="pinned-card"
      data-product-id={product.id}
      data-soldout={soldOut}
    >
      <span className="pinned-tag">{t('live.explainingNow')}</span>
      {product.photoUrl ? (
        <img src={photoAt(product.photoUrl, 320)} alt="" width={72} height={72} loading="lazy" />
      ) : (
        <span className="thumb-empty" aria-hidden="true" />
      )}
      <div className="pinned-info">
        <p className="pinned-title" data-testid="pinned-title">
          {product.title}
        </p>
        <p>
          <strong className="price" data-testid="pinned-price">
            {formatMoney(product.price, product.currency)}
          </strong>
          <span className="muted"> / {product.unit}</span>
          {uplift !== null && uplift > 0 && (
            <span className="uplift-chip">
              {t('product.upliftShort', { percent: formatPercent(uplift) })}
            </span>
          )}
        </p>
        <p className={soldOut ? 'soldout-text' : 'muted'} data-testid="pinned-stock">
          {soldOut
            ? t('product.soldOut')
            : t('product.left', { n: product.stock, unit: product.unit })}
        </p>
      </div>
      <Button className="buy-button" disabled={soldOut} onClick={onBuy} data-testid="buy-button">
        {soldOut ? t('product.soldOutShort') : t('buy.buy')}
      </Button>
    </div>
  );
}
