import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import type { Live } from '../../api/types.ts';
import { photoAt } from '../../lib/photo.ts';
import { formatDateTime } from '../../lib/time.ts';
import { Icon } from '../../components/icons.tsx';

/**
 * A show in a list: cover from its stream (a frame grabbed while live) or else its products,
 * live badge or start time, shop and place.
 */
export function LiveCard({ live }: { live: Live }) {
  const { t, i18n } = useTranslation();
  const thumbnail = live.status === 'scheduled' ? null : (live.thumbnailUrl ?? null);
  const photo =
    live.pinnedProduct?.photoUrl ?? live.products.find((p) => p.photoUrl)?.photoUrl ?? null;
  return (
    <Link
      href={`/lives/${live.id}`}
      className="live-card"
      data-testid="live-card"
      data-live-id={live.id}
      data-status={live.status}
    >
      <div className="live-card-cover">
        {thumbnail ? (
          <img src={thumbnail} alt="" loading="lazy" data-testid="live-card-thumbnail" />
        ) : photo ? (
          <img
            src={photoAt(photo, 320)}
            srcSet={`${photoAt(photo, 320)} 1x, ${photoAt(photo, 640)} 2x`}
            alt=""
            loading="lazy"
          />
        ) : (
          <span className="cover-empty">
            <Icon name="sprout" size={48} />
          </span>
        )}
        {live.status === 'live' && (
          <span className="state-badge state-live">
            <span className="dot" aria-hidden="true" />
            {t('live.state.live')}
          </span>
        )}
        {live.status === 'scheduled' && (
          <span className="state-badge state-waiting">
            {live.scheduledAt ? formatDateTime(live.scheduledAt, i18n.language) : t('live.soon')}
          </span>
        )}
        {live.status === 'ended' && (
          <span className="state-badge state-ended">
            {live.replay ? t('replay.badge') : t('live.state.ended')}
          </span>
        )}
      </div>
      <div className="live-card-body">
        <p className="live-card-title">{live.title}</p>
        <p className="muted live-card-shop">
          {live.shop.name}
          {live.shop.region && <span> · {live.shop.region.area}</span>}
        </p>
      </div>
    </Link>
  );
}
