import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Live, Product, Shop } from '../../api/types.ts';
import { useApi } from '../../app/use-api.ts';
import { Async, Empty } from '../../components/ui.tsx';
import { LiveCard } from '../lives/live-card.tsx';
import { ProductTile } from '../products/product-tile.tsx';
import { FollowButton } from './follow-button.tsx';
import { Icon } from '../../components/icons.tsx';

export function ShopPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const shop = useApi<{ shop: Shop }>(`/shops/${id}`);
  const products = useApi<{ products: Product[] }>('/products', { shopId: id, limit: 100 });
  const lives = useApi<{ lives: Live[] }>('/lives', { shopId: id, limit: 30 });
  const [followers, setFollowers] = useState<number | null>(null);

  useEffect(() => {
    if (shop.data) document.title = `${shop.data.shop.name} · ${t('app.name')}`;
  }, [shop.data, t]);

  const order = { live: 0, scheduled: 1, ended: 2 } as const;
  return (
    <main className="page">
      <Async state={shop}>
        {({ shop: s }) => (
          <section className="shop-head card" data-testid="shop-head">
            <div className="shop-avatar" aria-hidden="true">
              {[...s.name][0]}
            </div>
            <div className="shop-head-text">
              <h1>{s.name}</h1>
              <p className="muted" data-testid="shop-region">
                <Icon name="pin" size={16} /> {s.region?.fullName ?? s.regionCode}
              </p>
              <p data-testid="shop-followers">
                {t('shop.followers', { count: followers ?? s.followers })}
              </p>
            </div>
            <FollowButton
              shopId={s.id}
              ownerId={s.ownerId}
              onChange={(st) => setFollowers(st.followers)}
            />
            {s.description && <p className="shop-description">{s.description}</p>}
          </section>
        )}
      </Async>

      <section aria-labelledby="shows-h">
        <h2 id="shows-h">{t('shop.shows')}</h2>
        <Async state={lives}>
          {(d) => {
            const list = [...d.lives].sort((a, b) => order[a.status] - order[b.status]);
            return list.length === 0 ? (
              <Empty>{t('shop.noShows')}</Empty>
            ) : (
              <ul className="live-grid" data-testid="shop-lives">
                {list.map((l) => (
                  <li key={l.id}>
                    <LiveCard live={l} />
                  </li>
                ))}
              </ul>
            );
          }}
        </Async>
      </section>

      <section aria-labelledby="products-h">
        <h2 id="products-h">{t('shop.products')}</h2>
        <Async state={products}>
          {(d) => {
            const list = d.products.filter((p) => p.status === 'active');
            return list.length === 0 ? (
              <Empty>{t('shop.noProducts')}</Empty>
            ) : (
              <ul className="product-grid" data-testid="shop-products">
                {list.map((p) => (
                  <li key={p.id}>
                    <ProductTile product={p} />
                  </li>
                ))}
              </ul>
            );
          }}
        </Async>
      </section>
    </main>
  );
}
