import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Product } from '../../api/types.ts';
import { formatMoney, formatPercent, upliftPercent } from '../../lib/money.ts';
import { photoAt } from '../../lib/photo.ts';
import { Icon } from '../../components/icons.tsx';

export function ProductTile({ product }: { product: Product }) {
  const { t } = useTranslation();
  const photo = product.photos[0];
  const uplift = upliftPercent(product.price, product.traditionalPrice);
  return (
    <Link href={`/products/${product.id}`} className="product-tile" data-testid="product-tile">
      <div className="product-tile-photo">
        {photo ? (
          <img
            src={photoAt(photo.url, 320)}
            srcSet={`${photoAt(photo.url, 320)} 1x, ${photoAt(photo.url, 640)} 2x`}
            alt=""
            loading="lazy"
          />
        ) : (
          <span className="cover-empty">
            <Icon name="basket" size={48} />
          </span>
        )}
      </div>
      <p className="product-tile-title">{product.title}</p>
      <p>
        <strong className="price">{formatMoney(product.price, product.currency)}</strong>
        <span className="muted"> / {product.unit}</span>
      </p>
      {product.stock <= 0 ? (
        <p className="soldout-text">{t('product.soldOut')}</p>
      ) : uplift !== null && uplift > 0 ? (
        <p className="uplift-text">{t('product.uplift', { percent: formatPercent(uplift) })}</p>
      ) : null}
    </Link>
  );
}
