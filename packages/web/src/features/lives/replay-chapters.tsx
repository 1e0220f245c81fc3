import { useTranslation } from 'react-i18next';
import { formatClock, type ReplayChapter } from '../video/replay.ts';

/** "Products in this show": one row per pin, tap to jump there; the one playing is marked. */
export function ReplayChapters({
  chapters,
  current,
  onSeek,
}: {
  chapters: readonly ReplayChapter[];
  current: number;
  onSeek: (index: number) => void;
}) {
  const { t } = useTranslation();
  return (
    <section aria-labelledby="replay-chapters-h" data-testid="replay-chapters">
      <h2 id="replay-chapters-h" className="replay-chapters-title">
        {t('replay.chapters')}
      </h2>
      <ol className="replay-chapters">
        {chapters.map((c, i) => (
          <li key={`${c.productId}-${c.at}`}>
            <button
              type="button"
              className="replay-chapter"
              aria-current={i === current}
              data-testid="replay-chapter"
              data-product-id={c.productId}
              data-at={c.at}
              data-current={i === current}
              onClick={() => onSeek(i)}
            >
              <time dateTime={`PT${Math.floor(c.at)}S`}>{formatClock(c.at)}</time>
              <span>{c.title}</span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
