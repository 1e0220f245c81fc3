import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import { api } from '../../api/client.ts';
import { useSession } from '../../app/session.tsx';
import { useErrorText } from '../../components/error-text.ts';
import { Button } from '../../components/ui.tsx';

interface FollowState {
  following: boolean;
  followers: number;
}

/** Follow / unfollow a seller; anonymous viewers are sent to sign in and come back. */
export function FollowButton({
  shopId,
  ownerId,
  onChange,
  compact = false,
}: {
  shopId: string;
  ownerId?: string;
  onChange?: (state: FollowState) => void;
  compact?: boolean;
}) {
  const { t } = useTranslation();
  const { user } = useSession();
  const [location] = useLocation();
  const errorText = useErrorText();
  const [state, setState] = useState<FollowState | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    if (!user) return;
    let cancelled = false;
    api
      .get<FollowState>(`/shops/${shopId}/follow`)
      .then((s) => !cancelled && setState(s))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [shopId, user]);

  if (user === undefined) return null;
  if (user && (user.id === ownerId || user.shopId === shopId)) return null;
  if (!user) {
    return (
      <Link
        href={`/signin?next=${encodeURIComponent(location)}`}
        className={`btn btn-primary${compact ? ' btn-small' : ''}`}
        data-testid="follow-button"
      >
        {t('follow.follow')}
      </Link>
    );
  }

  async function toggle() {
    setBusy(true);
    setError(null);
    try {
      const next = state?.following
        ? await api.delete<FollowState>(`/shops/${shopId}/follow`)
        : await api.put<FollowState>(`/shops/${shopId}/follow`);
      setState(next);
      onChange?.(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const following = state?.following ?? false;
  return (
    <span className="follow">
      <Button
        variant={following ? 'secondary' : 'primary'}
        className={compact ? 'btn-small' : undefined}
        busy={busy}
        disabled={state === null}
        aria-pressed={following}
        data-testid="follow-button"
        data-following={following}
        onClick={() => void toggle()}
      >
        {following ? t('follow.following') : t('follow.follow')}
      </Button>
      {error ? (
        <span className="field-error" role="alert">
          {errorText(error)}
        </span>
      ) : null}
    </span>
  );
}
