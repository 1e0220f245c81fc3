import { PRODUCT_CATEGORIES } from '@cunbo/shared';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearch } from 'wouter';
import type { Live } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { Async, Empty, SelectField } from '../../components/ui.tsx';
import { LiveCard } from '../lives/live-card.tsx';
import { RegionPicker } from '../regions/region-picker.tsx';

function LiveGrid({ lives, empty, testId }: { lives: Live[]; empty: string; testId: string }) {
  if (lives.length === 0) return <Empty>{empty}</Empty>;
  return (
    <ul className="live-grid" data-testid={testId}>
      {lives.map((l) => (
        <li key={l.id}>
          <LiveCard live={l} />
        </li>
      ))}
    </ul>
  );
}

export function HomePage() {
  const { t } = useTranslation();
  const { user } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const params = new URLSearchParams(search);
  const region = params.get('region') ?? '';
  const category = params.get('category') ?? '';
  const filter = { region: region || undefined, category: category || undefined };

  const liveNow = useApi<{ lives: Live[] }>('/lives', { status: 'live', ...filter });
  const upcoming = useApi<{ lives: Live[] }>('/lives', { status: 'scheduled', ...filter });
  const replays = useApi<{ lives: Live[] }>('/lives', { status: 'ended', limit: 12, ...filter });
  const followed = useApi<{ lives: Live[] }>(user ? '/lives' : null, { followed: true, limit: 30 });

  useEffect(() => {
    document.title = t('app.title');
  }, [t]);

  // Refresh "live now" every minute: shows start and end all the time.
  const { reload: reloadLive } = liveNow;
  const { reload: reloadUpcoming } = upcoming;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') {
        reloadLive();
        reloadUpcoming();
      }
    }, 60_000);
    return () => clearInterval(timer);
  }, [reloadLive, reloadUpcoming]);

  function setFilter(key: 'region' | 'category', value: string) {
    const next = new URLSearchParams(search);
    if (value) next.set(key, value);
    else next.delete(key);
    const qs = next.toString();
    navigate(qs ? `/?${qs}` : '/', { replace: true });
  }

  const followedOpen = followed.data?.lives.filter((l) => l.status !== 'ended') ?? [];

  return (
    <main className="page">
      {user === null && (
        <section className="hero">
          <h1>{t('home.heroTitle')}</h1>
          <p>{t('home.heroText')}</p>
          <div className="hero-actions">
            <Link href="/signup?role=seller" className="btn btn-primary">
              {t('home.startSelling')}
            </Link>
            <Link href="/signup" className="btn btn-secondary">
              {t('auth.signUp')}
            </Link>
          </div>
        </section>
      )}

      {user && (followed.loading || followedOpen.length > 0 || followed.error) && (
        <section aria-labelledby="followed-h" data-testid="followed-section">
          <h2 id="followed-h">{t('home.followed')}</h2>
          <Async state={followed}>
            {() => (
              <LiveGrid
                lives={followedOpen}
                empty={t('home.followedEmpty')}
                testId="followed-lives"
              />
            )}
          </Async>
        </section>
      )}

      <details className="filters" open={Boolean(region || category)}>
        <summary>
          {t('home.filters')}
          {(region || category) && (
            <span className="badge-inline">{[region, category].filter(Boolean).length}</span>
          )}
        </summary>
        <div className="filters-body">
          <SelectField
            label={t('home.category')}
            value={category}
            data-testid="filter-category"
            onChange={(e) => setFilter('category', e.target.value)}
          >
            <option value="">{t('home.allCategories')}</option>
            {PRODUCT_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`categories.${c}`)}
              </option>
            ))}
          </SelectField>
          <RegionPicker
            label={t('home.region')}
            value={region}
            maxLevel="county"
            allowClear
            testId="filter-region"
            onChange={(code) => setFilter('region', code)}
          />
        </div>
      </details>

      <section aria-labelledby="live-h">
        <h2 id="live-h">
          <span className="dot live-dot" aria-hidden="true" /> {t('home.liveNow')}
        </h2>
        <Async state={liveNow}>
          {(d) => <LiveGrid lives={d.lives} empty={t('home.liveEmpty')} testId="live-now" />}
        </Async>
      </section>

      <section aria-labelledby="upcoming-h">
        <h2 id="upcoming-h">{t('home.upcoming')}</h2>
        <Async state={upcoming}>
          {(d) => <LiveGrid lives={d.lives} empty={t('home.upcomingEmpty')} testId="upcoming" />}
        </Async>
      </section>

      <section aria-labelledby="replays-h">
        <h2 id="replays-h">{t('home.replays')}</h2>
        <Async state={replays}>
          {(d) => <LiveGrid lives={d.lives} empty={t('home.replaysEmpty')} testId="replays" />}
        </Async>
      </section>
    </main>
  );
}
