import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import { NotificationBell } from '../features/home/notification-bell.tsx';
import { LanguageSwitcher } from './language-switcher.tsx';
import { useSession } from './session.tsx';

export function AppHeader() {
  const { t } = useTranslation();
  const { user, signOut } = useSession();
  const [location, navigate] = useLocation();
  // The menu belongs to the page it was opened on: following one of its links closes it.
  const [openAt, setOpenAt] = useState<string | null>(null);
  const open = openAt === location;
  const setOpen = (next: boolean | ((o: boolean) => boolean)) =>
    setOpenAt((typeof next === 'function' ? next(open) : next) ? location : null);
  const menuRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!menuRef.current?.contains(e.target as Node)) setOpenAt(null);
    };
    document.addEventListener('click', close);
    return () => document.removeEventListener('click', close);
  }, [open]);

  const next = encodeURIComponent(location);
  return (
    <header className="app-header">
      <Link href="/" className="brand" aria-label={t('app.home')}>
        <span className="brand-mark" aria-hidden="true">
          ▶
        </span>
        <span className="brand-name">{t('app.name')}</span>
      </Link>
      <div className="header-actions">
        {user && <NotificationBell />}
        <LanguageSwitcher />
        {user === null && (
          <Link
            href={`/signin?next=${next}`}
            className="btn btn-primary btn-small"
            data-testid="header-signin"
          >
            {t('auth.signIn')}
          </Link>
        )}
        {user && (
          <div className="menu" ref={menuRef}>
            <button
              type="button"
              className="icon-button"
              aria-haspopup="menu"
              aria-expanded={open}
              aria-label={t('menu.open')}
              data-testid="account-menu"
              onClick={() => setOpen((o) => !o)}
            >
              <span className="avatar" aria-hidden="true">
                {[...user.displayName][0]?.toUpperCase() ?? '?'}
              </span>
            </button>
            {open && (
              <div className="menu-panel" role="menu">
                <p className="menu-user">
                  {user.displayName}
                  <small>{t(`roles.${user.role}`)}</small>
                </p>
                <Link href="/" role="menuitem">
                  {t('menu.home')}
                </Link>
                <Link href="/orders" role="menuitem" data-testid="menu-orders">
                  {t('menu.orders')}
                </Link>
                {user.role === 'seller' && (
                  <Link href="/studio" role="menuitem" data-testid="menu-studio">
                    {t('menu.studio')}
                  </Link>
                )}
                {user.role === 'seller' && user.shopId && (
                  <Link href="/studio/orders" role="menuitem" data-testid="menu-board">
                    {t('fulfilment.menu.board')}
                  </Link>
                )}
                {user.role === 'operator' && (
                  <Link href="/hub" role="menuitem" data-testid="menu-hub">
                    {t('fulfilment.menu.hub')}
                  </Link>
                )}
                <button
                  type="button"
                  role="menuitem"
                  data-testid="sign-out"
                  onClick={() => {
                    void signOut().finally(() => navigate('/'));
                  }}
                >
                  {t('auth.signOut')}
                </button>
              </div>
            )}
          </div>
        )}
      </div>
    </header>
  );
}
