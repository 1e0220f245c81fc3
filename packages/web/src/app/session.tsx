import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
  type ReactNode,
} from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, onCsrfRefresh, setApiLang, setCsrfToken } from '../api/client.ts';
import type { Locale, Role, SessionResponse, User } from '../api/types.ts';
import { htmlLangOf, isLang, rememberLang, type Lang } from '../i18n/index.ts';

export interface RegisterInput {
  email: string;
  password: string;
  displayName: string;
  role: Exclude<Role, 'operator'>;
}

interface SessionValue {
  /** Undefined while the first `/auth/me` is in flight. */
  user: User | null | undefined;
  lang: Lang;
  signIn(email: string, password: string): Promise<User>;
  register(input: RegisterInput): Promise<User>;
  signOut(): Promise<void>;
  setLang(lang: Lang): void;
  /** After a change the server made to me (a shop opened: shopId). */
  refresh(): Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

async function fetchMe(): Promise<{ user: User; csrfToken: string } | null> {
  try {
    return await api.get<{ user: User; csrfToken: string }>('/auth/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const { i18n } = useTranslation();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const lang: Lang = isLang(i18n.language) ? i18n.language : 'zh';

  useEffect(() => {
    setApiLang(lang);
    document.documentElement.lang = htmlLangOf(lang);
  }, [lang]);

  const refresh = useCallback(async () => {
    try {
      const me = await fetchMe();
      setCsrfToken(me?.csrfToken ?? null);
      setUser(me?.user ?? null);
    } catch {
      // Server unreachable: browse anonymously; pages show their own errors.
      setUser((u) => (u === undefined ? null : u));
    }
  }, []);

  useEffect(() => {
    onCsrfRefresh(async () => {
      const me = await fetchMe().catch(() => null);
      setUser(me?.user ?? null);
      return me?.csrfToken ?? null;
    });
    let cancelled = false;
    fetchMe().then(
      (me) => {
        if (cancelled) return;
        setCsrfToken(me?.csrfToken ?? null);
        setUser(me?.user ?? null);
      },
      // Server unreachable: browse anonymously; pages show their own errors.
      () => !cancelled && setUser(null),
    );
    return () => {
      cancelled = true;
      onCsrfRefresh(null);
    };
  }, []);

  const adopt = useCallback((session: SessionResponse) => {
    setCsrfToken(session.csrfToken);
    setUser(session.user);
    return session.user;
  }, []);

  const value = useMemo<SessionValue>(
    () => ({
      user,
      lang,
      async signIn(email, password) {
        const user = adopt(await api.post<SessionResponse>('/auth/login', { email, password }));
        // A signed-in user's language follows them across devices, but this device's choice wins now.
        if (user.locale !== lang)
          void api.patch('/auth/me', { locale: lang }).catch(() => undefined);
        return user;
      },
      async register(input) {
        return adopt(await api.post<SessionResponse>('/auth/register', { ...input, locale: lang }));
      },
      async signOut() {
        try {
          await api.post('/auth/logout');
        } finally {
          setCsrfToken(null);
          setUser(null);
        }
      },
      setLang(next) {
        rememberLang(next);
        setApiLang(next);
        void i18n.changeLanguage(next);
        if (user) {
          void api
            .patch<{ user: User }>('/auth/me', { locale: next satisfies Locale })
            .then((r) => setUser(r.user))
            .catch(() => undefined);
        }
      },
      refresh,
    }),
    [user, lang, adopt, i18n, refresh],
  );

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
