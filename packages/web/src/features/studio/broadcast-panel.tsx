import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/ui.tsx';
import type { UplinkHealth } from '../video/uplink-health.ts';
import type { Broadcast } from './use-broadcast.ts';

/**
 * The studio's camera: preview, devices, the broadcast's state in words, and the uplink's
 * health once a second. The buttons that start and end the show are in the page's header.
 */
export function BroadcastPanel({
  broadcast,
  showStatus,
  otherSource,
  onGoLive,
}: {
  broadcast: Broadcast;
  showStatus: 'scheduled' | 'live' | 'ended';
  /** The show's video comes from somewhere else (OBS, another device). */
  otherSource: boolean;
  /** Start the video (and the show, when it has not started). */
  onGoLive(): void;
}) {
  const { t } = useTranslation();
  const videoRef = useRef<HTMLVideoElement>(null);
  const { phase, state, stream } = broadcast;
  const onAir = phase === 'connecting' || phase === 'live' || phase === 'reconnecting';

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    video.srcObject = stream;
    if (stream) void video.play().catch(() => undefined);
  }, [stream]);

  const cameras = broadcast.devices('videoinput', (n) => t('broadcast.cameraN', { n }));
  const mics = broadcast.devices('audioinput', (n) => t('broadcast.micN', { n }));

  return (
    <section className="card broadcast" aria-labelledby="broadcast-h" data-testid="broadcast">
      <h2 id="broadcast-h">{t('broadcast.title')}</h2>
      <div className="broadcast-grid">
        <div>
          <div className="preview">
            <video
              ref={videoRef}
              muted
              playsInline
              autoPlay
              data-testid="preview-video"
              aria-label={t('broadcast.preview')}
            />
            {!stream && (
              <div className="preview-empty">
                {state.camera === 'starting' ? (
                  <span className="spinner" aria-hidden="true" />
                ) : (
                  <p>{t('broadcast.cameraOff')}</p>
                )}
              </div>
            )}
            <span
              className={`broadcast-state broadcast-${phase}`}
              data-testid="broadcast-state"
              data-state={phase}
              role="status"
            >
              {(phase === 'live' || phase === 'preview') && (
                <span className="dot" aria-hidden="true" />
              )}
              {t(`broadcast.phase.${phase}`)}
            </span>
          </div>
          <p className="muted" data-testid="broadcast-explain">
            {phase === 'reconnecting' && state.attempt > 0
              ? t('broadcast.explain.reconnectingAttempt', { n: state.attempt })
              : phase === 'preview' && showStatus === 'live'
                ? t('broadcast.explain.previewLive')
                : t(`broadcast.explain.${phase}`)}
          </p>
          {state.error && (
            <p
              className="field-error"
              role="alert"
              data-testid="broadcast-error"
              data-kind={state.error.kind}
            >
              {t(`broadcast.error.${state.error.kind}`)}
            </p>
          )}
          {otherSource && !onAir && state.error?.kind !== 'replaced' && (
            <p className="muted" data-testid="broadcast-other-source">
              {t('broadcast.otherSource')}
            </p>
          )}
          <div className="broadcast-actions">
            {phase === 'offline' && showStatus !== 'ended' && (
              <Button
                variant="secondary"
                busy={state.camera === 'starting'}
                onClick={broadcast.startCamera}
                data-testid="camera-start"
              >
                {t('broadcast.cameraOn')}
              </Button>
            )}
            {showStatus === 'live' && !onAir && (
              <Button onClick={onGoLive} data-testid="studio-publish">
                {t('broadcast.startVideo')}
              </Button>
            )}
            {onAir && showStatus === 'live' && (
              <Button
                variant="secondary"
                onClick={() => void broadcast.stop()}
                data-testid="studio-unpublish"
              >
                {t('broadcast.stopVideo')}
              </Button>
            )}
          </div>
        </div>

        <div>
          <div className="device-pickers">
            <DevicePicker
              label={t('broadcast.camera')}
              testId="camera-select"
              options={cameras}
              value={broadcast.choice.cameraId}
              disabled={!stream}
              onPick={broadcast.pickCamera}
            />
            <DevicePicker
              label={t('broadcast.microphone')}
              testId="mic-select"
              options={mics}
              value={broadcast.choice.micId}
              disabled={!stream}
              onPick={broadcast.pickMic}
            />
          </div>
          <HealthPanel
            health={broadcast.health}
            active={phase === 'live' || phase === 'reconnecting'}
          />
        </div>
      </div>
    </section>
  );
}

function DevicePicker({
  label,
  testId,
  options,
  value,
  disabled,
  onPick,
}: {
  label: string;
  testId: string;
  options: Array<{ id: string; label: string }>;
  value: string | null;
  disabled: boolean;
  onPick(id: string): void;
}) {
  const id = `${testId}-field`;
  const known = options.some((o) => o.id === value);
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        data-testid={testId}
        value={known ? (value ?? '') : ''}
        disabled={disabled || options.length === 0}
        onChange={(e) => e.target.value && onPick(e.target.value)}
      >
        {!known && <option value="">—</option>}
        {options.map((o) => (
          <option key={o.id} value={o.id}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

function HealthPanel({ health, active }: { health: UplinkHealth; active: boolean }) {
  const { t } = useTranslation();
  const level = active ? health.level : 'unknown';
  const dash = '—';
  return (
    <div
      className={`health health-${level}`}
      data-testid="uplink-health"
      data-level={level}
      aria-live="polite"
    >
      <p className="health-head">
        <span className="health-light" aria-hidden="true" />
        {t(`broadcast.health.${level}`)}
      </p>
      <dl className="health-numbers">
        <div>
          <dt>{t('broadcast.health.bitrate')}</dt>
          <dd data-testid="uplink-bitrate">
            {active && health.kbps !== null ? t('broadcast.health.kbps', { n: health.kbps }) : dash}
          </dd>
        </div>
        <div>
          <dt>{t('broadcast.health.loss')}</dt>
          <dd data-testid="uplink-loss">
            {active && health.lossPct !== null ? `${health.lossPct.toFixed(1)} %` : dash}
          </dd>
        </div>
        <div>
          <dt>{t('broadcast.health.rtt')}</dt>
          <dd data-testid="uplink-rtt">
            {active && health.rttMs !== null ? t('broadcast.health.ms', { n: health.rttMs }) : dash}
          </dd>
        </div>
      </dl>
      <p className="health-advice">{t(`broadcast.advice.${level}`)}</p>
      {active && health.width !== null && health.height !== null && (
        <p className="muted" data-testid="uplink-picture">
          {t('broadcast.health.picture', {
            size: `${health.width}×${health.height}`,
            fps: Math.round(health.fps ?? 0),
            codec: health.codec ?? '',
          })}
          {(health.limitation === 'bandwidth' || health.limitation === 'cpu') &&
            ` · ${t(`broadcast.limited.${health.limitation}`)}`}
        </p>
      )}
    </div>
  );
}
