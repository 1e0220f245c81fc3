import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Product, Shop } from '../../api/types.ts';
import { useApi } from '../../app/use-api.ts';
import { Async, Button } from '../../components/ui.tsx';
import { formatMoney, formatPercent, upliftPercent } from '../../lib/money.ts';
import { photoAt, photoSrcSet } from '../../lib/photo.ts';
import { BuySheet } from '../orders/buy-sheet.tsx';
import { Icon } from '../../components/icons.tsx';

export function ProductPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const product = useApi<{ product: Product }>(`/products/${id}`);
  const shopId = product.data?.product.shopId ?? null;
  const shop = useApi<{ shop: Shop }>(shopId ? `/shops/${shopId}` : null);
  const [photo, setPhoto] = useState(0);
  const [buying, setBuying] = useState(false);

  useEffect(() => {
    if (product.data) document.title = `${product.data.product.title} · ${t('app.name')}`;
  }, [product.data, t]);

  return (
    <main className="page">
      <Async state={product}>
        {({ product: p }) => {
          const uplift = upliftPercent(p.price, p.traditionalPrice);
          const current = p.photos[Math.min(photo, p.photos.length - 1)];
          const soldOut = p.stock <= 0;
          return (
            <article className="product" data-testid="product-page">
              <div className="gallery">
                {current ? (
                  <img
                    className="gallery-main"
                    src={photoAt(current.url, 640)}
                    srcSet={photoSrcSet(current.url)}
                    sizes="(min-width: 720px) 640px, 100vw"
                    width={current.width}
                    height={current.height}
                    alt={p.title}
                    data-testid="product-photo"
                  />
                ) : (
                  <div className="gallery-empty">
                    <Icon name="basket" size={72} />
                  </div>
                )}
                {p.photos.length > 1 && (
                  <div className="gallery-thumbs" role="tablist" aria-label={t('product.photos')}>
                    {p.photos.map((ph, i) => (
                      <button
                        key={ph.id}
                        type="button"
                        role="tab"
                        aria-selected={i === photo}
                        aria-label={t('product.photoN', { n: i + 1 })}
                        onClick={() => setPhoto(i)}
                      >
                        <img
                          src={photoAt(ph.url, 320)}
                          alt=""
                          width={56}
                          height={56}
                          loading="lazy"
                        />
                      </button>
                    ))}
                  </div>
                )}
              </div>
              <div className="product-body">
                <h1>{p.title}</h1>
                <p className="product-price">
                  <strong className="price big" data-testid="product-price">
                    {formatMoney(p.price, p.currency)}
                  </strong>
                  <span className="muted"> / {p.unit}</span>
                </p>
                {uplift !== null && p.traditionalPrice !== null && (
                  <p className="uplift-box" data-testid="product-uplift">
                    <strong>{t('product.uplift', { percent: formatPercent(uplift) })}</strong>
                    <span className="muted">
                      {t('product.traditionalPays', {
                        price: formatMoney(p.traditionalPrice, p.currency),
                        unit: p.unit,
                      })}
                    </span>
                  </p>
                )}
                <p className={soldOut ? 'soldout-text' : ''} data-testid="product-stock">
                  {soldOut
                    ? t('product.soldOut')
                    : t('product.inStock', { n: p.stock, unit: p.unit })}
                </p>
                <p className="muted">{t(`categories.${p.category}`)}</p>
                {shop.data && (
                  <p>
                    <Link href={`/shops/${shop.data.shop.id}`} data-testid="product-shop">
                      <Icon name="home" size={16} /> {shop.data.shop.name}
                      {shop.data.shop.region && (
                        <span className="muted"> · {shop.data.shop.region.fullName}</span>
                      )}
                    </Link>
                  </p>
                )}
                {p.status === 'archived' && <p className="notice">{t('product.archived')}</p>}
                {p.description && <p className="product-description">{p.description}</p>}
              </div>
              <div className="buy-bar">
                <span className="price">{formatMoney(p.price, p.currency)}</span>
                <Button
                  disabled={soldOut || p.status !== 'active'}
                  onClick={() => setBuying(true)}
                  data-testid="buy-button"
                >
                  {soldOut ? t('product.soldOut') : t('buy.buy')}
                </Button>
              </div>
              {buying && (
                <BuySheet
                  product={{
                    id: p.id,
                    title: p.title,
                    unit: p.unit,
                    price: p.price,
                    currency: p.currency,
                    stock: p.stock,
                    photoUrl: p.photos[0]?.url ?? null,
                  }}
                  shopId={p.shopId}
                  onClose={() => {
                    setBuying(false);
                    product.reload();
                  }}
                />
              )}
            </article>
          );
        }}
      </Async>
    </main>
  );
}
