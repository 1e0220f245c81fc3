import { LIMITS } from '@cunbo/shared';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation, useSearch } from 'wouter';
import { useSession } from '../../app/session.tsx';
import { isFieldError, useFieldError } from '../../components/error-text.ts';
import { Button, ErrorNote, TextField } from '../../components/ui.tsx';
import { LanguageSwitcher } from '../../app/language-switcher.tsx';
import { safeNext } from '../../lib/safe-next.ts';
import { focusFirstInvalid } from '../../components/focus-invalid.ts';

const FIELDS = ['email', 'password', 'displayName', 'role'];

export function AuthPage({ mode }: { mode: 'signin' | 'signup' }) {
  const { t } = useTranslation();
  const { user, signIn, register } = useSession();
  const [, navigate] = useLocation();
  const search = useSearch();
  const next = safeNext(new URLSearchParams(search).get('next'));
  const fieldError = useFieldError();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<'buyer' | 'seller'>(
    new URLSearchParams(search).get('role') === 'seller' ? 'seller' : 'buyer',
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});

  useEffect(() => {
    document.title = `${mode === 'signin' ? t('auth.signIn') : t('auth.signUp')} · ${t('app.name')}`;
  }, [mode, t]);

  async function submit() {
    const problems: Record<string, string> = {};
    if (!/^\S+@\S+\.\S+$/.test(email.trim())) problems.email = t('hints.email');
    if (mode === 'signup' && password.length < LIMITS.passwordMin)
      problems.password = t('hints.password', { min: LIMITS.passwordMin });
    if (mode === 'signin' && !password) problems.password = t('hints.passwordEmpty');
    if (mode === 'signup' && !displayName.trim()) problems.displayName = t('hints.displayName');
    setLocal(problems);
    if (Object.keys(problems).length > 0) {
      focusFirstInvalid(document.body);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const u =
        mode === 'signin'
          ? await signIn(email.trim(), password)
          : await register({
              email: email.trim(),
              password,
              displayName: displayName.trim(),
              role,
            });
      navigate(next ?? (u.role === 'seller' && mode === 'signup' ? '/studio' : '/'), {
        replace: true,
      });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fe = (f: string) => local[f] ?? fieldError(error, f);
  const other = mode === 'signin' ? '/signup' : '/signin';
  const query = next ? `?next=${encodeURIComponent(next)}` : '';

  return (
    <main className="page page-narrow">
      <h1>{mode === 'signin' ? t('auth.signInTitle') : t('auth.signUpTitle')}</h1>
      {user && <p className="notice">{t('auth.already', { name: user.displayName })}</p>}
      <form
        className="card form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        {mode === 'signup' && (
          <fieldset className="role-choice">
            <legend>{t('auth.iAm')}</legend>
            <label className={`choice${role === 'buyer' ? ' chosen' : ''}`}>
              <input
                type="radio"
                name="role"
                value="buyer"
                data-testid="role-buyer"
                checked={role === 'buyer'}
                onChange={() => setRole('buyer')}
              />
              <span>
                {t('roles.buyer')}
                <small>{t('auth.buyerHint')}</small>
              </span>
            </label>
            <label className={`choice${role === 'seller' ? ' chosen' : ''}`}>
              <input
                type="radio"
                name="role"
                value="seller"
                data-testid="role-seller"
                checked={role === 'seller'}
                onChange={() => setRole('seller')}
              />
              <span>
                {t('roles.seller')}
                <small>{t('auth.sellerHint')}</small>
              </span>
            </label>
          </fieldset>
        )}
        {mode === 'signup' && (
          <TextField
            label={t('auth.displayName')}
            autoComplete="nickname"
            maxLength={LIMITS.displayNameMax}
            data-testid="auth-name"
            value={displayName}
            error={fe('displayName')}
            onChange={(e) => setDisplayName(e.target.value)}
          />
        )}
        <TextField
          label={t('auth.email')}
          type="email"
          autoComplete="email"
          inputMode="email"
          maxLength={LIMITS.emailMax}
          data-testid="auth-email"
          value={email}
          error={fe('email')}
          onChange={(e) => setEmail(e.target.value)}
        />
        <TextField
          label={t('auth.password')}
          type="password"
          autoComplete={mode === 'signin' ? 'current-password' : 'new-password'}
          maxLength={LIMITS.passwordMax}
          data-testid="auth-password"
          hint={mode === 'signup' ? t('hints.password', { min: LIMITS.passwordMin }) : undefined}
          value={password}
          error={fe('password')}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && !isFieldError(error, FIELDS) ? (
          <ErrorNote error={error} testId="auth-error" />
        ) : null}
        <Button type="submit" block busy={busy} data-testid="auth-submit">
          {mode === 'signin' ? t('auth.signIn') : t('auth.signUp')}
        </Button>
        <p className="form-switch">
          {mode === 'signin' ? t('auth.noAccount') : t('auth.haveAccount')}{' '}
          <Link href={`${other}${query}`} data-testid="auth-switch">
            {mode === 'signin' ? t('auth.signUp') : t('auth.signIn')}
          </Link>
        </p>
      </form>
      <p className="center">
        <LanguageSwitcher />
      </p>
    </main>
  );
}
