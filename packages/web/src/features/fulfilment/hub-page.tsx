import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useSearch } from 'wouter';
import { api } from '../../api/client.ts';
import type { HubDetail, HubView, ParcelView, PickupView, ScanResponse } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { Async, Button, Empty, ErrorNote, Loading } from '../../components/ui.tsx';
import { formatDateTime } from '../../lib/time.ts';
import { SignInRequired } from '../orders/orders-page.tsx';
import { downloads, useRefreshWhileVisible } from './board-view.ts';
import { CameraScan } from './camera-scan.tsx';
import { bySeller, normalizeCode, scanFailed, scanSucceeded, type ScanOutcome } from './scan.ts';
import './fulfilment.css';

/** The township hub's desk: parcels expected, the scan box, pickups for the carrier. */
export function HubPage() {
  const { t } = useTranslation();
  const { user } = useSession();
  const search = useSearch();
  const [, navigate] = useLocation();
  const hubs = useApi<{ hubs: HubView[] }>(user?.role === 'operator' ? '/hubs/mine' : null);

  useEffect(() => {
    document.title = `${t('fulfilment.hub.title')} · ${t('app.name')}`;
  }, [t]);

  if (user === undefined) return <Loading />;
  if (user === null) return <SignInRequired />;
  if (user.role !== 'operator') {
    return (
      <main className="page page-narrow">
        <h1>{t('fulfilment.hub.title')}</h1>
        <p className="notice">{t('fulfilment.hub.operatorsOnly')}</p>
      </main>
    );
  }
  return (
    <main className="page page-narrow fulfil" data-testid="hub">
      <Async state={hubs}>
        {({ hubs: list }) => {
          if (list.length === 0)
            return (
              <>
                <h1>{t('fulfilment.hub.title')}</h1>
                <p className="notice">{t('fulfilment.hub.noHub')}</p>
              </>
            );
          const asked = new URLSearchParams(search).get('hub');
          const current = list.find((h) => h.id === asked) ?? list[0]!;
          return (
            <>
              {list.length > 1 && (
                <div className="tabs" role="tablist">
                  {list.map((h) => (
                    <button
                      key={h.id}
                      type="button"
                      role="tab"
                      aria-selected={h.id === current.id}
                      onClick={() => navigate(`/hub?hub=${h.id}`, { replace: true })}
                    >
                      {h.name}
                    </button>
                  ))}
                </div>
              )}
              <HubDesk key={current.id} hubId={current.id} />
            </>
          );
        }}
      </Async>
    </main>
  );
}

function HubDesk({ hubId }: { hubId: string }) {
  const { t } = useTranslation();
  const detail = useApi<HubDetail>(`/hubs/${hubId}`);
  useRefreshWhileVisible(detail.reload);
  return (
    <Async state={detail}>
      {(d) => (
        <>
          <h1>{d.hub.name}</h1>
          <p className="muted">
            {d.hub.regionName}
            {d.hub.address && <> · {d.hub.address}</>}
          </p>
          <ul className="fulfil-counts fulfil-counts-3">
            <li data-testid="hub-count-expected" data-count={d.parcels.expected.length}>
              <strong>{d.parcels.expected.length}</strong>
              <span>{t('fulfilment.hub.expected')}</span>
            </li>
            <li data-testid="hub-count-at-hub" data-count={d.parcels.atHub.length}>
              <strong>{d.parcels.atHub.length}</strong>
              <span>{t('fulfilment.hub.atHub')}</span>
            </li>
            <li
              data-testid="hub-count-pickups"
              data-count={d.pickups.filter((p) => p.status === 'open').length}
            >
              <strong>{d.pickups.filter((p) => p.status === 'open').length}</strong>
              <span>{t('fulfilment.hub.openPickups')}</span>
            </li>
          </ul>
          <ScanDesk hubId={hubId} onScanned={detail.reload} />
          <PickupMaker hubId={hubId} atHub={d.parcels.atHub} onMade={detail.reload} />
          <Pickups pickups={d.pickups} onChanged={detail.reload} />
          <ExpectedParcels parcels={d.parcels.expected} />
          <AtHubParcels parcels={d.parcels.atHub} />
        </>
      )}
    </Async>
  );
}

function ScanDesk({ hubId, onScanned }: { hubId: string; onScanned: () => void }) {
  const { t } = useTranslation();
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<ScanOutcome | null>(null);
  const [count, setCount] = useState(0);
  const input = useRef<HTMLInputElement>(null);

  async function scan(raw: string) {
    const code = normalizeCode(raw);
    if (!code) return;
    setBusy(true);
    try {
      const res = await api.post<ScanResponse>(`/hubs/${hubId}/scan`, { code });
      const next = scanSucceeded(code, res);
      setOutcome(next);
      if (next.kind === 'scanned') setCount((n) => n + 1);
      onScanned();
    } catch (err) {
      setOutcome(scanFailed(code, err));
      // Eyes are on the parcel, not the screen: a buzz says "look".
      navigator.vibrate?.(300);
    } finally {
      setBusy(false);
      setValue('');
      // Ready for the next parcel: the scanner types into whatever has the focus.
      input.current?.focus();
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    void scan(value);
  }

  return (
    <section className="card" aria-labelledby="scan-title">
      <h2 id="scan-title">{t('fulfilment.hub.scanTitle')}</h2>
      <form className="scan-form" onSubmit={submit}>
        <label htmlFor="scan-code" className="sr-only">
          {t('fulfilment.hub.scanLabel')}
        </label>
        <input
          id="scan-code"
          ref={input}
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder={t('fulfilment.hub.scanPlaceholder')}
          autoComplete="off"
          autoCapitalize="characters"
          spellCheck={false}
          enterKeyHint="go"
          maxLength={40}
          autoFocus
          data-testid="hub-scan-input"
        />
        <Button type="submit" busy={busy} disabled={!value.trim()} data-testid="hub-scan-submit">
          {t('fulfilment.hub.scanButton')}
        </Button>
      </form>
      <CameraScan onCode={(code) => void scan(code)} />
      <ScanResult outcome={outcome} />
      {count > 0 && <p className="muted">{t('fulfilment.hub.scannedNow', { count })}</p>}
    </section>
  );
}

function ScanResult({ outcome }: { outcome: ScanOutcome | null }) {
  const { t } = useTranslation();
  if (!outcome) return <p className="muted scan-idle">{t('fulfilment.hub.scanHint')}</p>;
  const mark = { scanned: '✓', already: '✓', unknown: '?', wrong_hub: '✗', error: '!' }[
    outcome.kind
  ];
  return (
    <div
      className={`scan-result scan-${outcome.kind}`}
      role="status"
      aria-live="assertive"
      data-testid="scan-result"
      data-outcome={outcome.kind}
    >
      <span className="scan-mark" aria-hidden="true">
        {mark}
      </span>
      <div>
        <p className="scan-say">{t(`fulfilment.scan.${outcome.kind}`)}</p>
        <p>
          <code className="parcel-code">{outcome.code}</code>
        </p>
        {'parcel' in outcome && (
          <p>
            {outcome.parcel.shopName} → {outcome.parcel.recipient.name} ·{' '}
            {outcome.parcel.recipient.regionName}
          </p>
        )}
        {outcome.kind === 'error' && <ErrorNote error={outcome.error} />}
      </div>
    </div>
  );
}

function PickupMaker({
  hubId,
  atHub,
  onMade,
}: {
  hubId: string;
  atHub: ParcelView[];
  onMade: () => void;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const waiting = atHub.filter((p) => !p.pickupId).length;

  async function make() {
    setBusy(true);
    setError(null);
    try {
      await api.post<{ pickup: PickupView }>(`/hubs/${hubId}/pickups`, { carrier: 'sandbox' });
      onMade();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card">
      <h2>{t('fulfilment.hub.makePickupTitle')}</h2>
      <p>{t('fulfilment.hub.waitingForPickup', { count: waiting })}</p>
      <p className="muted">{t('fulfilment.hub.carrierSandbox')}</p>
      <Button
        block
        busy={busy}
        disabled={waiting === 0}
        onClick={() => void make()}
        data-testid="hub-make-pickup"
      >
        {t('fulfilment.hub.makePickup', { count: waiting })}
      </Button>
      <ErrorNote error={error} testId="hub-pickup-error" />
    </section>
  );
}

function Pickups({ pickups, onChanged }: { pickups: PickupView[]; onChanged: () => void }) {
  const { t } = useTranslation();
  return (
    <section>
      <h2>{t('fulfilment.hub.pickupsTitle')}</h2>
      {pickups.length === 0 ? (
        <Empty>{t('fulfilment.hub.noPickups')}</Empty>
      ) : (
        <ul className="fulfil-parcels" data-testid="hub-pickups">
          {pickups.map((p) => (
            <PickupRow key={p.id} pickup={p} onChanged={onChanged} />
          ))}
        </ul>
      )}
    </section>
  );
}

function PickupRow({ pickup, onChanged }: { pickup: PickupView; onChanged: () => void }) {
  const { t, i18n } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function handOver() {
    setBusy(true);
    setError(null);
    try {
      await api.post<{ pickup: PickupView }>(`/pickups/${pickup.id}/handover`);
      setConfirming(false);
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <li
      className="card fulfil-parcel"
      data-testid="hub-pickup"
      data-pickup-id={pickup.id}
      data-status={pickup.status}
      data-parcels={pickup.parcels}
    >
      <div className="fulfil-parcel-head">
        <strong>{t('fulfilment.hub.pickupParcels', { count: pickup.parcels })}</strong>
        <span className={`status-chip pickup-${pickup.status}`}>
          {t(`fulfilment.pickupStatus.${pickup.status}`)}
        </span>
      </div>
      <p className="muted">
        {t(`fulfilment.carriers.${pickup.carrier}`, pickup.carrier)} ·{' '}
        {formatDateTime(pickup.createdAt, i18n.language)}
        {pickup.carrierRef && <> · {pickup.carrierRef}</>}
      </p>
      {pickup.handedOverAt && (
        <p className="success-text">
          {t('fulfilment.hub.handedOverAt', {
            time: formatDateTime(pickup.handedOverAt, i18n.language),
          })}
        </p>
      )}
      <p className="fulfil-links">
        <a
          href={downloads.manifestPdf(pickup.id)}
          target="_blank"
          rel="noopener"
          data-testid="hub-manifest-pdf"
        >
          {t('fulfilment.hub.manifestPdf')}
        </a>
        <a href={downloads.manifestCsv(pickup.id)} download data-testid="hub-manifest-csv">
          {t('fulfilment.hub.manifestCsv')}
        </a>
      </p>
      {pickup.status === 'open' &&
        (confirming ? (
          // Handing over cannot be undone: the courier has the parcels and the tracking starts.
          <div className="confirm-box" role="alertdialog" aria-labelledby={`handover-${pickup.id}`}>
            <p id={`handover-${pickup.id}`}>
              {t('fulfilment.hub.handOverConfirm', { count: pickup.parcels })}
            </p>
            <Button busy={busy} onClick={() => void handOver()} data-testid="hub-handover-confirm">
              {t('fulfilment.hub.handOverYes')}
            </Button>
            <Button variant="secondary" onClick={() => setConfirming(false)}>
              {t('fulfilment.hub.handOverNo')}
            </Button>
          </div>
        ) : (
          <Button block onClick={() => setConfirming(true)} data-testid="hub-handover">
            {t('fulfilment.hub.handOver')}
          </Button>
        ))}
      <ErrorNote error={error} testId="hub-handover-error" />
    </li>
  );
}

function ExpectedParcels({ parcels }: { parcels: ParcelView[] }) {
  const { t } = useTranslation();
  return (
    <section>
      <h2>{t('fulfilment.hub.expectedTitle')}</h2>
      {parcels.length === 0 ? (
        <Empty>{t('fulfilment.hub.noneExpected')}</Empty>
      ) : (
        <ul className="fulfil-sellers" data-testid="hub-expected">
          {bySeller(parcels).map((g) => (
            <li key={g.shopId} className="card" data-testid="hub-seller">
              <div className="fulfil-parcel-head">
                <strong>{g.shopName}</strong>
                <span className="muted">
                  {t('fulfilment.hub.parcelCount', { count: g.parcels.length })}
                </span>
              </div>
              <ul className="fulfil-codes">
                {g.parcels.map((p) => (
                  <li key={p.id} data-testid="hub-expected-parcel" data-code={p.code}>
                    <code className="parcel-code">{p.code}</code>
                    <span className="muted">
                      {p.recipient.name} · {p.recipient.regionName}
                    </span>
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function AtHubParcels({ parcels }: { parcels: ParcelView[] }) {
  const { t, i18n } = useTranslation();
  if (parcels.length === 0) return null;
  return (
    <section>
      <h2>{t('fulfilment.hub.atHubTitle')}</h2>
      <ul className="card fulfil-codes" data-testid="hub-at-hub">
        {parcels.map((p) => (
          <li key={p.id} data-testid="hub-at-hub-parcel" data-code={p.code}>
            <code className="parcel-code">{p.code}</code>
            <span className="muted">
              {p.shopName} · {p.scannedInAt && formatDateTime(p.scannedInAt, i18n.language)}
              {p.pickupId && <> · {t('fulfilment.hub.inPickup')}</>}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
