import type { LiveStatus } from '@cunbo/shared';
import { useTranslation } from 'react-i18next';
import type { ConnectionInfo } from '../../api/live-socket.ts';
import { formatDateTime } from '../../lib/time.ts';

/** What the video area should say: the show's state, and our connection to it. */
export type StageState = 'connecting' | 'waiting' | 'live' | 'reconnecting' | 'ended' | 'not_found';

export function stageState(status: LiveStatus | null, connection: ConnectionInfo): StageState {
  if (status === 'ended') return 'ended';
  if (connection.state === 'closed' && connection.reason === 'not_found') return 'not_found';
  if (connection.state === 'reconnecting') return 'reconnecting';
  if (connection.state === 'connecting' || status === null) return 'connecting';
  return status === 'live' ? 'live' : 'waiting';
}

export function LiveStateBadge({ state }: { state: StageState }) {
  const { t } = useTranslation();
  return (
    <span
      className={`state-badge state-${state}`}
      data-testid="live-state"
      data-state={state}
      role="status"
    >
      {state === 'live' && <span className="dot" aria-hidden="true" />}
      {t(`live.state.${state}`)}
    </span>
  );
}

export function ConnectionBadge({ connection }: { connection: ConnectionInfo }) {
  const { t } = useTranslation();
  const state = connection.state === 'closed' ? 'closed' : connection.state;
  return (
    <span
      className={`conn-badge conn-${state}`}
      data-testid="connection-state"
      data-state={state}
      title={t(`connection.${state}`)}
    >
      <span className="dot" aria-hidden="true" />
      <span className="conn-text">{t(`connection.${state}`)}</span>
    </span>
  );
}

/** Over the video: everything but "live" gets words in the middle of the screen. */
export function StageOverlay({
  state,
  scheduledAt,
  lang,
}: {
  state: StageState;
  scheduledAt: string | null;
  lang: string;
}) {
  const { t } = useTranslation();
  if (state === 'live') return null;
  return (
    <div className={`stage-overlay stage-${state}`} data-testid="stage-overlay" data-state={state}>
      {(state === 'connecting' || state === 'reconnecting') && (
        <span className="spinner" aria-hidden="true" />
      )}
      <p className="stage-title">{t(`live.stage.${state}`)}</p>
      {state === 'waiting' && scheduledAt && (
        <p>{t('live.startsAt', { time: formatDateTime(scheduledAt, lang) })}</p>
      )}
      {state === 'reconnecting' && <p className="muted">{t('live.stage.reconnectingHint')}</p>}
    </div>
  );
}
