import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearch } from 'wouter';
import type { Product, Shop } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { Async, Button, Empty, ErrorNote, Loading } from '../../components/ui.tsx';
import { formatMoney } from '../../lib/money.ts';
import { photoAt } from '../../lib/photo.ts';
import { SignInRequired } from '../orders/orders-page.tsx';
import { ProductForm } from './product-form.tsx';
import { ShopForm } from './shop-form.tsx';
import { ShowsSection } from './shows-section.tsx';
import { FlashTab } from '../flash/flash-studio.tsx';

type Tab = 'shop' | 'products' | 'shows' | 'flash';
const TABS: Tab[] = ['shows', 'flash', 'products', 'shop'];

export function StudioPage() {
  const { t } = useTranslation();
  const { user, refresh } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const shop = useApi<{ shop: Shop }>(user?.role === 'seller' ? '/shop' : null);

  useEffect(() => {
    document.title = `${t('studio.title')} · ${t('app.name')}`;
  }, [t]);

  if (user === undefined) return <Loading />;
  if (user === null) return <SignInRequired />;
  if (user.role !== 'seller') {
    return (
      <main className="page page-narrow">
        <h1>{t('studio.title')}</h1>
        <p className="notice">{t('studio.sellersOnly')}</p>
      </main>
    );
  }

  const noShop = shop.error?.code === 'SHOP_REQUIRED';
  if (shop.loading && !shop.data) return <Loading />;
  if (shop.error && !noShop && !shop.data) {
    return (
      <main className="page">
        <ErrorNote error={shop.error} onRetry={shop.reload} />
      </main>
    );
  }
  const myShop = shop.data?.shop ?? null;
  const asked = new URLSearchParams(search).get('tab') as Tab | null;
  const tab: Tab = !myShop ? 'shop' : asked && TABS.includes(asked) ? asked : 'shows';

  return (
    <main className="page studio" data-testid="studio">
      <h1>{t('studio.title')}</h1>
      {!myShop && <p className="notice">{t('studio.openShopFirst')}</p>}
      {myShop && (
        <p className="studio-links">
          <Link href="/studio/orders" data-testid="studio-board">
            {t('studio.boardLink')}
          </Link>
          {' · '}
          <Link href="/studio/integrations" data-testid="studio-integrations">
            {t('integrations.studioLink')}
          </Link>
        </p>
      )}
      {myShop && (
        <div className="tabs" role="tablist">
          {TABS.map((name) => (
            <button
              key={name}
              type="button"
              role="tab"
              aria-selected={tab === name}
              data-testid={`studio-tab-${name}`}
              onClick={() => navigate(`/studio?tab=${name}`, { replace: true })}
            >
              {name === 'flash' ? t('flash.studio.tab') : t(`studio.tabs.${name}`)}
            </button>
          ))}
        </div>
      )}
      {tab === 'shop' && (
        <section>
          {myShop && (
            <p>
              <Link href={`/shops/${myShop.id}`}>{t('studio.seeShop')}</Link> ·{' '}
              {t('shop.followers', { count: myShop.followers })}
            </p>
          )}
          <ShopForm
            shop={myShop}
            onSaved={(s) => {
              const first = !myShop;
              shop.setData({ shop: s });
              void refresh();
              if (first) navigate('/studio?tab=products', { replace: true });
            }}
          />
        </section>
      )}
      {myShop && tab === 'products' && <ProductsSection shopId={myShop.id} />}
      {myShop && tab === 'shows' && <ShowsTab shopId={myShop.id} />}
      {myShop && tab === 'flash' && <FlashTab shopId={myShop.id} />}
    </main>
  );
}

function ShowsTab({ shopId }: { shopId: string }) {
  const products = useApi<{ products: Product[] }>('/products', { shopId, limit: 100 });
  return (
    <Async state={products}>{(d) => <ShowsSection shopId={shopId} products={d.products} />}</Async>
  );
}

function ProductsSection({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const products = useApi<{ products: Product[] }>('/products', { shopId, limit: 100 });
  const [editing, setEditing] = useState<Product | 'new' | null>(null);

  const upsert = (p: Product) =>
    products.setData((d) =>
      d
        ? {
            products: d.products.some((x) => x.id === p.id)
              ? d.products.map((x) => (x.id === p.id ? p : x))
              : [p, ...d.products],
          }
        : d,
    );

  return (
    <section className="studio-section">
      {editing ? (
        <ProductForm
          key={editing === 'new' ? 'new' : editing.id}
          product={editing === 'new' ? null : editing}
          onSaved={upsert}
          onClose={() => setEditing(null)}
        />
      ) : (
        <Button block onClick={() => setEditing('new')} data-testid="product-new">
          + {t('studio.newProduct')}
        </Button>
      )}
      <Async state={products}>
        {(d) =>
          d.products.length === 0 ? (
            <Empty>{t('studio.noProductsYet')}</Empty>
          ) : (
            <ul className="studio-products" data-testid="studio-products">
              {d.products.map((p) => (
                <li
                  key={p.id}
                  className={`card studio-product${p.status === 'archived' ? ' archived' : ''}`}
                  data-testid="studio-product"
                >
                  {p.photos[0] ? (
                    <img
                      src={photoAt(p.photos[0].url, 320)}
                      alt=""
                      width={56}
                      height={56}
                      loading="lazy"
                    />
                  ) : (
                    <span className="thumb-empty" aria-hidden="true" />
                  )}
                  <div>
                    <p className="show-title">{p.title}</p>
                    <p className="muted">
                      {formatMoney(p.price, p.currency)} / {p.unit} ·{' '}
                      {t('product.inStock', { n: p.stock, unit: p.unit })}
                      {p.status === 'archived' && ` · ${t('studio.hidden')}`}
                    </p>
                  </div>
                  <Button
                    variant="secondary"
                    className="btn-small"
                    onClick={() => setEditing(p)}
                    data-testid="product-edit"
                  >
                    {t('common.edit')}
                  </Button>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
    </section>
  );
}
