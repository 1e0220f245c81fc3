import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, type Query } from '../api/client.ts';
import { useSession } from './session.tsx';

export interface ApiState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
  setData(update: T | ((prev: T | undefined) => T | undefined)): void;
}

interface Result<T> {
  /** What was asked (path, query, language, user) — data for another ask is not shown. */
  base: string | null;
  /** Which read of it finished last (reloads keep the data on screen meanwhile). */
  key: string | null;
  data: T | undefined;
  error: ApiError | null;
}

/**
 * Reads `path` and reads it again when the query, the language (names of regions) or the
 * signed-in user changes. `path` null means "not yet" (waiting for something else).
 */
export function useApi<T>(path: string | null, query?: Query): ApiState<T> {
  const { lang, user } = useSession();
  const [tick, setTick] = useState(0);
  const [result, setResult] = useState<Result<T>>({
    base: null,
    key: null,
    data: undefined,
    error: null,
  });
  const queryKey = JSON.stringify(query ?? {});
  const userId = user === undefined ? null : (user?.id ?? 'anon');
  const base = path === null || userId === null ? null : `${path}?${queryKey}|${lang}|${userId}`;
  const key = base === null ? null : `${base}#${tick}`;

  useEffect(() => {
    if (base === null || key === null || path === null) return;
    const controller = new AbortController();
    api
      .get<T>(path, { query: JSON.parse(queryKey) as Query, signal: controller.signal })
      .then((data) => setResult({ base, key, data, error: null }))
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        const error = err instanceof ApiError ? err : new ApiError('INTERNAL', String(err), 0);
        setResult((prev) => ({
          base,
          key,
          data: prev.base === base ? prev.data : undefined,
          error,
        }));
      });
    return () => controller.abort();
  }, [base, key, path, queryKey]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  const setData = useCallback(
    (update: T | ((prev: T | undefined) => T | undefined)) =>
      setResult((prev) => ({
        ...prev,
        data:
          typeof update === 'function'
            ? (update as (p: T | undefined) => T | undefined)(prev.data)
            : update,
      })),
    [],
  );
  const current = result.base === base && base !== null;
  return {
    data: current ? result.data : undefined,
    error: current ? result.error : null,
    loading: key !== null && result.key !== key,
    reload,
    setData,
  };
}
