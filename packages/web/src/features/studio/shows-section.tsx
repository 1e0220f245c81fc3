import { LIMITS } from '@cunbo/shared';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../../api/client.ts';
import type { Live, Product } from '../../api/types.ts';
import { useApi } from '../../app/use-api.ts';
import { isFieldError, useErrorText, useFieldError } from '../../components/error-text.ts';
import { Async, Button, Empty, ErrorNote, TextField } from '../../components/ui.tsx';
import { formatDateTime, localInputToIso, toLocalInput } from '../../lib/time.ts';
import { focusFirstInvalid } from '../../components/focus-invalid.ts';

function ScheduleForm({
  products,
  onCreated,
}: {
  products: Product[];
  onCreated: (live: Live) => void;
}) {
  const { t } = useTranslation();
  const fieldError = useFieldError();
  const [title, setTitle] = useState('');
  const [when, setWhen] = useState(() => toLocalInput(new Date(Date.now() + 60 * 60 * 1000)));
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});

  async function submit() {
    const problems: Record<string, string> = {};
    if (!title.trim()) problems.title = t('hints.liveTitle');
    const scheduledAt = when ? localInputToIso(when) : null;
    if (when && !scheduledAt) problems.scheduledAt = t('hints.scheduledAt');
    setLocal(problems);
    if (Object.keys(problems).length > 0) {
      focusFirstInvalid(document.body);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { live } = await api.post<{ live: Live }>('/lives', {
        title: title.trim(),
        ...(scheduledAt && { scheduledAt }),
        productIds: [...chosen],
      });
      setTitle('');
      setChosen(new Set());
      onCreated(live);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const active = products.filter((p) => p.status === 'active');
  const fe = (f: string) => local[f] ?? fieldError(error, f);
  return (
    <form
      className="card form"
      data-testid="schedule-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3>{t('studio.scheduleShow')}</h3>
      <TextField
        label={t('studio.showTitle')}
        data-testid="show-title"
        maxLength={LIMITS.liveTitleMax}
        placeholder={t('studio.showTitlePlaceholder')}
        value={title}
        error={fe('title')}
        onChange={(e) => setTitle(e.target.value)}
      />
      <TextField
        label={t('studio.showTime')}
        type="datetime-local"
        data-testid="show-time"
        value={when}
        error={fe('scheduledAt')}
        onChange={(e) => setWhen(e.target.value)}
      />
      <fieldset className="checks" data-testid="show-products">
        <legend>{t('studio.showProducts')}</legend>
        {active.length === 0 && <p className="muted">{t('studio.noProductsYet')}</p>}
        {active.map((p) => (
          <label key={p.id} className="check">
            <input
              type="checkbox"
              checked={chosen.has(p.id)}
              data-testid="show-product"
              onChange={(e) => {
                const next = new Set(chosen);
                if (e.target.checked) next.add(p.id);
                else next.delete(p.id);
                setChosen(next);
              }}
            />
            {p.title}
          </label>
        ))}
        {fe('productIds') && <p className="field-error">{fe('productIds')}</p>}
      </fieldset>
      {error && !isFieldError(error, ['title', 'scheduledAt', 'productIds']) ? (
        <ErrorNote error={error} />
      ) : null}
      <Button type="submit" block busy={busy} data-testid="show-create">
        {t('studio.schedule')}
      </Button>
    </form>
  );
}

/** Start or end a show from a list or the control panel. */
export function useLiveControls(onChange: (live: Live) => void) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  /** The show as it is now, or null when the action failed (the error is kept). */
  async function run(live: Live, action: 'start' | 'end'): Promise<Live | null> {
    setBusy(`${live.id}:${action}`);
    setError(null);
    try {
      const changed = (await api.post<{ live: Live }>(`/lives/${live.id}/${action}`)).live;
      onChange(changed);
      return changed;
    } catch (err) {
      setError(err);
      return null;
    } finally {
      setBusy(null);
    }
  }
  return { busy, error, run };
}

export function ShowsSection({ shopId, products }: { shopId: string; products: Product[] }) {
  const { t, i18n } = useTranslation();
  const errorText = useErrorText();
  const lives = useApi<{ lives: Live[] }>('/lives', { shopId, limit: 50 });
  const replace = (live: Live) =>
    lives.setData((d) =>
      d
        ? {
            lives: d.lives.some((l) => l.id === live.id)
              ? d.lives.map((l) => (l.id === live.id ? live : l))
              : [live, ...d.lives],
          }
        : d,
    );
  const controls = useLiveControls(replace);

  return (
    <div className="studio-section">
      <h3>{t('studio.myShows')}</h3>
      {controls.error ? (
        <p className="field-error" role="alert">
          {errorText(controls.error)}
        </p>
      ) : null}
      <Async state={lives}>
        {(d) =>
          d.lives.length === 0 ? (
            <Empty>{t('studio.noShows')}</Empty>
          ) : (
            <ul className="show-list" data-testid="studio-shows">
              {d.lives.map((l) => (
                <li
                  key={l.id}
                  className="card show-row"
                  data-testid="studio-show"
                  data-live-id={l.id}
                  data-status={l.status}
                >
                  <div>
                    <p className="show-title">{l.title}</p>
                    <p className="muted">
                      <span className={`status-chip live-${l.status}`}>
                        {t(`liveStatus.${l.status}`)}
                      </span>{' '}
                      {l.scheduledAt &&
                        l.status === 'scheduled' &&
                        formatDateTime(l.scheduledAt, i18n.language)}
                      {' · '}
                      {t('studio.productCount', { count: l.products.length })}
                    </p>
                  </div>
                  <div className="show-actions">
                    {l.status === 'scheduled' && (
                      <Button
                        busy={controls.busy === `${l.id}:start`}
                        onClick={() => void controls.run(l, 'start')}
                        data-testid="studio-go-live"
                      >
                        {t('studio.goLive')}
                      </Button>
                    )}
                    {l.status === 'live' && (
                      <Button
                        variant="danger"
                        busy={controls.busy === `${l.id}:end`}
                        onClick={() => void controls.run(l, 'end')}
                        data-testid="studio-end"
                      >
                        {t('studio.end')}
                      </Button>
                    )}
                    {l.status !== 'ended' && (
                      <Link
                        href={`/studio/lives/${l.id}`}
                        className="btn btn-secondary"
                        data-testid="studio-open-panel"
                      >
                        {t('studio.controlPanel')}
                      </Link>
                    )}
                    <Link href={`/lives/${l.id}`} className="btn btn-ghost">
                      {t('studio.viewerPage')}
                    </Link>
                  </div>
                </li>
              ))}
            </ul>
          )
        }
      </Async>
      <ScheduleForm products={products} onCreated={replace} />
    </div>
  );
}
