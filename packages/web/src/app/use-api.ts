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

/**
 * Reads `path` and reads it again when the query, the language (names of regions) or the
 * signed-in user changes. `path` null means "not yet" (waiting for something else).
 */
export function useApi<T>(path: string | null, query?: Query): ApiState<T> {
  const { lang, user } = useSession();
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const queryKey = JSON.stringify(query ?? {});
  const userId = user === undefined ? 'pending' : (user?.id ?? 'anon');

  useEffect(() => {
    if (path === null || userId === 'pending') return;
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    api
      .get<T>(path, { query: JSON.parse(queryKey) as Query, signal: controller.signal })
      .then((d) => {
        setData(d);
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        setError(err instanceof ApiError ? err : new ApiError('INTERNAL', String(err), 0));
        setLoading(false);
      });
    return () => controller.abort();
  }, [path, queryKey, lang, userId, tick]);

  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading: path !== null && loading, reload, setData };
}
