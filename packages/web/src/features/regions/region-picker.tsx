import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import type { RegionItem, RegionLevel } from '../../api/types.ts';
import { useErrorText } from '../../components/error-text.ts';
import { useSession } from '../../app/session.tsx';
import { ancestorCodes, levelRank, REGION_LEVELS } from './region-codes.ts';

const cache = new Map<string, Promise<RegionItem[]>>();

/** Children of `parent` (provinces for null), fetched once per language. */
export function regionChildren(parent: string | null, lang: string): Promise<RegionItem[]> {
  const key = `${lang}|${parent ?? ''}`;
  let found = cache.get(key);
  if (!found) {
    found = api
      .get<{ regions: RegionItem[] }>('/regions', {
        query: parent ? { parent, lang } : { lang, limit: 200 },
      })
      .then((r) => r.regions);
    found.catch(() => cache.delete(key));
    cache.set(key, found);
  }
  return found;
}

type Listed = RegionItem[] | { error: unknown };

export interface RegionPickerProps {
  value: string;
  onChange(code: string, level: RegionLevel | null, fullName: string): void;
  label: string;
  /** Deepest level offered (the home filter stops at county). */
  maxLevel?: RegionLevel;
  /** Levels from which the user may stop (village is optional for addresses). */
  error?: string | undefined;
  testId?: string;
  /** Lets a filter be cleared ("all regions"). */
  allowClear?: boolean;
}

/** Province → prefecture → county → township → village, each a plain select (big, native, works on old phones). */
export function RegionPicker({
  value,
  onChange,
  label,
  maxLevel = 'village',
  error,
  testId,
  allowClear,
}: RegionPickerProps) {
  const { t } = useTranslation();
  const { lang } = useSession();
  const errorText = useErrorText();
  const id = useId();
  const chain = ancestorCodes(value);
  const [lists, setLists] = useState<Record<string, Listed>>({});
  const [retries, setRetries] = useState(0);
  const maxRank = levelRank(maxLevel);
  const chainKey = chain.join(',');
  const listKey = (parent: string | null) => `${lang}|${parent ?? ''}`;

  // One column per selected level plus the next one to choose from.
  const parents: Array<string | null> = [null, ...chain].slice(0, maxRank + 1);
  const columns = parents.map((parent) => {
    const listed = lists[listKey(parent)];
    return {
      parent,
      options: Array.isArray(listed) ? listed : null,
      error: listed && !Array.isArray(listed) ? listed.error : null,
    };
  });

  useEffect(() => {
    let cancelled = false;
    for (const parent of [null, ...chainKey.split(',').filter(Boolean)].slice(0, maxRank + 1)) {
      const key = `${lang}|${parent ?? ''}`;
      regionChildren(parent, lang).then(
        (options) =>
          !cancelled && setLists((l) => (l[key] === options ? l : { ...l, [key]: options })),
        (error: unknown) => !cancelled && setLists((l) => ({ ...l, [key]: { error } })),
      );
    }
    return () => {
      cancelled = true;
    };
  }, [chainKey, lang, maxRank, retries]);

  function choose(index: number, code: string) {
    const col = columns[index];
    const upTo = chain.slice(0, index);
    const names = upTo.map((c, i) => columns[i]?.options?.find((o) => o.code === c)?.name ?? '');
    if (!code) {
      const parent = upTo.at(-1) ?? '';
      const parentLevel =
        index > 0
          ? (columns[index - 1]?.options?.find((o) => o.code === parent)?.level ?? null)
          : null;
      onChange(parent, parentLevel, names.filter(Boolean).join(''));
      return;
    }
    const picked = col?.options?.find((o) => o.code === code);
    onChange(
      code,
      picked?.level ?? null,
      [...names, picked?.name ?? ''].filter(Boolean).join(lang === 'zh' ? '' : ', '),
    );
  }

  return (
    <fieldset
      className={`region-picker${error ? ' field-invalid' : ''}`}
      data-testid={testId}
      aria-describedby={error ? `${id}-error` : undefined}
    >
      <legend>{label}</legend>
      {columns.map((col, index) => {
        if (col.options && col.options.length === 0) return null;
        const selected = chain[index] ?? '';
        const level = col.options?.[0]?.level ?? REGION_LEVELS[Math.min(index, 4)]!;
        if (levelRank(level) > maxRank) return null;
        // County is precise enough for a shop or an address; below it is a courtesy.
        const optional = levelRank(level) > levelRank('county') || allowClear;
        return (
          <div className="field" key={col.parent ?? 'root'}>
            <label htmlFor={`${id}-${index}`}>{t(`region.level.${level}`)}</label>
            {col.error ? (
              <p className="field-error">
                {errorText(col.error)}{' '}
                <button
                  type="button"
                  className="btn btn-secondary btn-small"
                  onClick={() => setRetries((n) => n + 1)}
                >
                  {t('common.retry')}
                </button>
              </p>
            ) : (
              <select
                id={`${id}-${index}`}
                data-testid={testId ? `${testId}-${level}` : undefined}
                value={selected}
                disabled={!col.options}
                onChange={(e) => choose(index, e.target.value)}
              >
                <option value="">
                  {!col.options
                    ? t('common.loading')
                    : optional
                      ? t('region.any')
                      : t('region.choose')}
                </option>
                {col.options?.map((o) => (
                  <option key={o.code} value={o.code}>
                    {o.name}
                  </option>
                ))}
              </select>
            )}
          </div>
        );
      })}
      {error && (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      )}
    </fieldset>
  );
}
