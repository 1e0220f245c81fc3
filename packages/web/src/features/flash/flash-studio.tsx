import type { TFunction } from 'i18next';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'wouter';
import { api } from '../../api/client.ts';
import type { CouponView, Live, OfferView } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useApi } from '../../app/use-api.ts';
import { useFieldError } from '../../components/error-text.ts';
import { Async, Button, Empty, ErrorNote, SelectField, TextField } from '../../components/ui.tsx';
import { fenToYuanInput, formatMoney, yuanToFen } from '../../lib/money.ts';
import type { RoomAction } from '../lives/live-room-state.ts';
import { useLiveRoom } from '../lives/use-live-room.ts';
import { couponMoment, formatCountdown, offerMoment } from './flash-state.ts';
import { useFlashSeed, useServerNow } from './use-flash.ts';
import './flash.css';

const START_IN_MINUTES = [0, 1, 2, 5, 10, 15, 30, 60];
const OFFER_DURATIONS = [30, 60, 120, 180, 300, 600, 900, 1800, 3600];
const HOLD_MINUTES = [1, 2, 5, 10, 15, 30, 60];
const COUPON_DURATIONS = [300, 600, 1800, 3600, 7200, 86_400];
const USABLE_HOURS = [24, 72, 168, 720];

/** The studio's "Flash sales" tab: pick a show that is on or coming, then run its offers. */
export function FlashTab({ shopId }: { shopId: string }) {
  const { t } = useTranslation();
  const lives = useApi<{ lives: Live[] }>('/lives', { shopId, limit: 50 });
  const [chosen, setChosen] = useState<string | null>(null);
  return (
    <section className="studio-section flash-studio" data-testid="flash-studio">
      <p className="muted">{t('flash.studio.intro')}</p>
      <Async state={lives}>
        {(d) => {
          const open = d.lives.filter((l) => l.status !== 'ended');
          if (open.length === 0) return <Empty>{t('flash.studio.noShow')}</Empty>;
          const live =
            open.find((l) => l.id === chosen) ?? open.find((l) => l.status === 'live') ?? open[0]!;
          return (
            <>
              <SelectField
                label={t('flash.studio.show')}
                data-testid="flash-show"
                value={live.id}
                onChange={(e) => setChosen(e.target.value)}
              >
                {open.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.title} · {t(`liveStatus.${l.status}`)}
                  </option>
                ))}
              </SelectField>
              <FlashStudio key={live.id} live={live} />
            </>
          );
        }}
      </Async>
    </section>
  );
}

/** Offers and coupons of one show: the forms, and the list with units left as they go. */
export function FlashStudio({ live }: { live: Live }) {
  const { t } = useTranslation();
  const { user } = useSession();
  const sessionKey = user?.id ?? 'anon';
  const { room, dispatch } = useLiveRoom(live.id, { sessionKey });
  const skew = useFlashSeed(live.id, dispatch, sessionKey);
  const now = useServerNow(skew, room.offers.length + room.coupons.length > 0, 500);
  const [form, setForm] = useState<'offer' | 'coupon' | null>(null);

  return (
    <div className="flash-studio">
      <p className="muted">
        <Link href={`/lives/${live.id}`}>{t('studio.viewerPage')}</Link>
        {live.status === 'scheduled' && ` · ${t('flash.studio.notLiveYet')}`}
      </p>
      {form === 'offer' ? (
        <OfferForm live={live} dispatch={dispatch} onDone={() => setForm(null)} />
      ) : form === 'coupon' ? (
        <CouponForm live={live} dispatch={dispatch} onDone={() => setForm(null)} />
      ) : (
        <div className="flash-row">
          <Button
            block
            disabled={live.products.length === 0}
            onClick={() => setForm('offer')}
            data-testid="flash-new-offer"
          >
            ⚡ {t('flash.studio.newOffer')}
          </Button>
          <Button
            block
            variant="secondary"
            onClick={() => setForm('coupon')}
            data-testid="flash-new-coupon"
          >
            {t('flash.studio.newCoupon')}
          </Button>
        </div>
      )}
      {live.products.length === 0 && <p className="notice">{t('flash.studio.noProducts')}</p>}

      <h3>{t('flash.studio.offers')}</h3>
      {room.offers.length === 0 ? (
        <Empty>{t('flash.studio.noOffers')}</Empty>
      ) : (
        <ul className="flash-studio-list" data-testid="flash-offers">
          {room.offers.map((o) => (
            <OfferRow key={o.id} offer={o} now={now} dispatch={dispatch} />
          ))}
        </ul>
      )}

      <h3>{t('flash.studio.coupons')}</h3>
      {room.coupons.length === 0 ? (
        <Empty>{t('flash.studio.noCoupons')}</Empty>
      ) : (
        <ul className="flash-studio-list" data-testid="flash-coupons">
          {room.coupons.map((c) => (
            <CouponRow key={c.id} coupon={c} now={now} />
          ))}
        </ul>
      )}
    </div>
  );
}

function OfferRow({
  offer,
  now,
  dispatch,
}: {
  offer: OfferView;
  now: number;
  dispatch: (a: RoomAction) => void;
}) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { phase, remainingMs } = offerMoment(offer, now);

  async function close() {
    setBusy(true);
    setError(null);
    try {
      const res = await api.post<{ offer: OfferView }>(`/offers/${offer.id}/close`);
      dispatch({ type: 'offer-updated', offer: res.offer });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <li
      className="card flash-studio-item"
      data-testid="flash-offer-row"
      data-offer-id={offer.id}
      data-phase={phase}
      data-left={offer.left}
    >
      <div>
        <p>
          <span className={`flash-status flash-status-${phase}`}>{t(`flash.phase.${phase}`)}</span>{' '}
          <strong>{offer.product.title}</strong>
        </p>
        <p className="muted">
          {formatMoney(offer.price, offer.currency)} ·{' '}
          <span data-testid="flash-offer-left">
            {t('flash.card.left', { left: offer.left, quantity: offer.quantity })}
          </span>{' '}
          · {t('flash.card.limit', { n: offer.perBuyerLimit })}
        </p>
        {phase !== 'ended' && (
          <p className="muted">
            {phase === 'scheduled'
              ? t('flash.card.startsIn', { time: formatCountdown(remainingMs) })
              : t('flash.card.endsIn', { time: formatCountdown(remainingMs) })}
          </p>
        )}
        <ErrorNote error={error} />
      </div>
      {phase !== 'ended' && (
        <Button
          variant="danger"
          className="btn-small"
          busy={busy}
          onClick={() => void close()}
          data-testid="flash-close-offer"
        >
          {t('flash.studio.closeNow')}
        </Button>
      )}
    </li>
  );
}

function CouponRow({ coupon, now }: { coupon: CouponView; now: number }) {
  const { t } = useTranslation();
  const { phase, remainingMs } = couponMoment(coupon, now);
  return (
    <li className="card flash-studio-item" data-testid="flash-coupon-row" data-phase={phase}>
      <div>
        <p>
          <span className={`flash-status flash-status-${phase}`}>
            {t(`flash.couponPhase.${phase}`)}
          </span>{' '}
          <strong>{t('flash.coupon.off', { amount: formatMoney(coupon.discount) })}</strong>
        </p>
        <p className="muted">
          {coupon.minSpend > 0
            ? t('flash.coupon.minSpend', { amount: formatMoney(coupon.minSpend) })
            : t('flash.coupon.noMinimum')}{' '}
          · {t('flash.coupon.left', { left: coupon.left, quota: coupon.quota })}
          {phase !== 'ended' &&
            ` · ${
              phase === 'scheduled'
                ? t('flash.card.startsIn', { time: formatCountdown(remainingMs) })
                : t('flash.card.endsIn', { time: formatCountdown(remainingMs) })
            }`}
        </p>
      </div>
    </li>
  );
}

function durationLabel(seconds: number, t: TFunction): string {
  if (seconds < 60) return t('flash.studio.seconds', { count: seconds });
  if (seconds < 3600) return t('flash.studio.minutes', { count: seconds / 60 });
  return t('flash.studio.hours', { count: seconds / 3600 });
}

function startsAtFor(minutes: number): string | undefined {
  return minutes > 0 ? new Date(Date.now() + minutes * 60_000).toISOString() : undefined;
}

function positiveInt(text: string): number | null {
  if (!/^\d{1,6}$/.test(text.trim())) return null;
  const n = Number(text.trim());
  return n >= 1 ? n : null;
}

/** A select of numbers (minutes, seconds, hours), each shown as `label` words it. */
function NumberSelect({
  label,
  value,
  options,
  optionLabel,
  error,
  hint,
  testId,
  onChange,
}: {
  label: string;
  value: number;
  options: readonly number[];
  optionLabel: (n: number) => string;
  error?: string;
  hint?: string;
  testId?: string;
  onChange: (n: number) => void;
}) {
  return (
    <SelectField
      label={label}
      data-testid={testId}
      value={value}
      error={error}
      hint={hint}
      onChange={(e) => onChange(Number(e.target.value))}
    >
      {options.map((n) => (
        <option key={n} value={n}>
          {optionLabel(n)}
        </option>
      ))}
    </SelectField>
  );
}

/** A number typed in: an amount in yuan (`decimal`) or a count. */
function NumberInput({
  label,
  testId,
  decimal = false,
  value,
  error,
  hint,
  placeholder,
  onChange,
}: {
  label: string;
  testId: string;
  decimal?: boolean;
  value: string;
  error?: string;
  hint?: string;
  placeholder?: string;
  onChange: (text: string) => void;
}) {
  return (
    <TextField
      label={label}
      inputMode={decimal ? 'decimal' : 'numeric'}
      data-testid={testId}
      placeholder={placeholder}
      value={value}
      error={error}
      hint={hint}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

/** When it opens: now, or in so many minutes. */
function StartSelect({
  value,
  error,
  testId,
  onChange,
}: {
  value: number;
  error?: string;
  testId?: string;
  onChange: (minutes: number) => void;
}) {
  const { t } = useTranslation();
  return (
    <NumberSelect
      label={t('flash.studio.start')}
      testId={testId}
      value={value}
      options={START_IN_MINUTES}
      optionLabel={(m) =>
        m === 0 ? t('flash.studio.startNow') : t('flash.studio.startIn', { count: m })
      }
      error={error}
      onChange={onChange}
    />
  );
}

/** What both forms keep while they are filled in and sent. */
function useFlashForm() {
  const fieldError = useFieldError();
  const [local, setLocal] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return {
    busy,
    error,
    /** The form's own problems first, then what the server said about the field. */
    fe: (field: string) => local[field] ?? fieldError(error, field),
    /** Shows `problems` and tells whether there were none. */
    check(problems: Record<string, string>): boolean {
      setLocal(problems);
      return Object.keys(problems).length === 0;
    },
    async send(request: () => Promise<void>) {
      setBusy(true);
      setError(null);
      try {
        await request();
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    },
  };
}

/**
 * The frame of a studio form: its title, fields, the server's error, cancel and submit
 * (`<testId>-form`, `-error` and `-submit` for the browser tests).
 */
function FlashForm({
  form,
  testId,
  title,
  submitLabel,
  onSubmit,
  onCancel,
  children,
}: {
  form: ReturnType<typeof useFlashForm>;
  testId: string;
  title: ReactNode;
  submitLabel: string;
  onSubmit: () => Promise<void>;
  onCancel: () => void;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <form
      className="card form"
      data-testid={`${testId}-form`}
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void onSubmit();
      }}
    >
      <h3>{title}</h3>
      {children}
      <ErrorNote error={form.error} testId={`${testId}-error`} />
      <div className="flash-row">
        <Button variant="ghost" onClick={onCancel}>
          {t('flash.studio.cancel')}
        </Button>
        <Button type="submit" busy={form.busy} data-testid={`${testId}-submit`}>
          {submitLabel}
        </Button>
      </div>
    </form>
  );
}

function OfferForm({
  live,
  dispatch,
  onDone,
}: {
  live: Live;
  dispatch: (a: RoomAction) => void;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const form = useFlashForm();
  const { fe } = form;
  const first = live.products[0];
  const [productId, setProductId] = useState(first?.id ?? '');
  const product = live.products.find((p) => p.id === productId) ?? first;
  const [price, setPrice] = useState(() =>
    first ? fenToYuanInput(Math.max(1, Math.round(first.price * 0.8))) : '',
  );
  const [quantity, setQuantity] = useState('10');
  const [limit, setLimit] = useState('1');
  const [startIn, setStartIn] = useState(0);
  const [duration, setDuration] = useState(300);
  const [hold, setHold] = useState(5);

  async function submit() {
    const problems: Record<string, string> = {};
    const fen = yuanToFen(price);
    const q = positiveInt(quantity);
    const l = positiveInt(limit);
    if (fen === null || fen <= 0) problems.price = t('flash.studio.hintPrice');
    if (q === null) problems.quantity = t('flash.studio.hintQuantity');
    else if (product && q > product.stock)
      problems.quantity = t('flash.studio.hintStock', { n: product.stock, unit: product.unit });
    if (l === null || (q !== null && l > q)) problems.perBuyerLimit = t('flash.studio.hintLimit');
    if (!form.check(problems) || fen === null || q === null || l === null) return;
    await form.send(async () => {
      const startsAt = startsAtFor(startIn);
      const { offer } = await api.post<{ offer: OfferView }>(`/lives/${live.id}/offers`, {
        productId,
        price: fen,
        quantity: q,
        perBuyerLimit: l,
        ...(startsAt && { startsAt }),
        durationSeconds: duration,
        holdSeconds: hold * 60,
      });
      dispatch({ type: 'offer-updated', offer });
      onDone();
    });
  }

  return (
    <FlashForm
      form={form}
      testId="flash-offer"
      title={<>⚡ {t('flash.studio.newOffer')}</>}
      submitLabel={startIn === 0 ? t('flash.studio.openNow') : t('flash.studio.schedule')}
      onSubmit={submit}
      onCancel={onDone}
    >
      <SelectField
        label={t('flash.studio.product')}
        data-testid="flash-offer-product"
        value={productId}
        error={fe('productId')}
        onChange={(e) => setProductId(e.target.value)}
      >
        {live.products.map((p) => (
          <option key={p.id} value={p.id}>
            {p.title} · {formatMoney(p.price, p.currency)}/{p.unit} ·{' '}
            {t('product.inStock', { n: p.stock, unit: p.unit })}
          </option>
        ))}
      </SelectField>
      <div className="flash-row">
        <NumberInput
          label={t('flash.studio.price')}
          testId="flash-offer-price"
          decimal
          value={price}
          error={fe('price')}
          hint={
            product
              ? t('flash.studio.usualPrice', { price: formatMoney(product.price) })
              : undefined
          }
          onChange={setPrice}
        />
        <NumberInput
          label={t('flash.studio.quantity')}
          testId="flash-offer-quantity"
          value={quantity}
          error={fe('quantity')}
          onChange={setQuantity}
        />
      </div>
      <div className="flash-row">
        <NumberInput
          label={t('flash.studio.limit')}
          testId="flash-offer-limit"
          value={limit}
          error={fe('perBuyerLimit')}
          onChange={setLimit}
        />
        <StartSelect
          testId="flash-offer-start"
          value={startIn}
          error={fe('startsAt')}
          onChange={setStartIn}
        />
      </div>
      <div className="flash-row">
        <NumberSelect
          label={t('flash.studio.duration')}
          testId="flash-offer-duration"
          value={duration}
          options={OFFER_DURATIONS}
          optionLabel={(seconds) => durationLabel(seconds, t)}
          error={fe('durationSeconds')}
          onChange={setDuration}
        />
        <NumberSelect
          label={t('flash.studio.hold')}
          testId="flash-offer-hold"
          value={hold}
          options={HOLD_MINUTES}
          optionLabel={(m) => t('flash.studio.minutes', { count: m })}
          error={fe('holdSeconds')}
          hint={t('flash.studio.holdHint')}
          onChange={setHold}
        />
      </div>
    </FlashForm>
  );
}

function CouponForm({
  live,
  dispatch,
  onDone,
}: {
  live: Live;
  dispatch: (a: RoomAction) => void;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const form = useFlashForm();
  const { fe } = form;
  const [discount, setDiscount] = useState('5');
  const [minSpend, setMinSpend] = useState('');
  const [quota, setQuota] = useState('50');
  const [startIn, setStartIn] = useState(0);
  const [duration, setDuration] = useState(600);
  const [usable, setUsable] = useState(72);

  async function submit() {
    const problems: Record<string, string> = {};
    const off = yuanToFen(discount);
    const min = minSpend.trim() ? yuanToFen(minSpend) : 0;
    const q = positiveInt(quota);
    if (off === null || off <= 0) problems.discount = t('flash.studio.hintPrice');
    if (min === null) problems.minSpend = t('flash.studio.hintPrice');
    if (q === null) problems.quota = t('flash.studio.hintQuantity');
    if (!form.check(problems) || off === null || min === null || q === null) return;
    await form.send(async () => {
      const startsAt = startsAtFor(startIn);
      const { coupon } = await api.post<{ coupon: CouponView }>(`/lives/${live.id}/coupons`, {
        discount: off,
        minSpend: min,
        quota: q,
        ...(startsAt && { startsAt }),
        durationSeconds: duration,
        usableHours: usable,
      });
      dispatch({ type: 'coupon-updated', coupon });
      onDone();
    });
  }

  return (
    <FlashForm
      form={form}
      testId="flash-coupon"
      title={t('flash.studio.newCoupon')}
      submitLabel={t('flash.studio.createCoupon')}
      onSubmit={submit}
      onCancel={onDone}
    >
      <div className="flash-row">
        <NumberInput
          label={t('flash.studio.discount')}
          testId="flash-coupon-discount"
          decimal
          value={discount}
          error={fe('discount')}
          onChange={setDiscount}
        />
        <NumberInput
          label={t('flash.studio.minSpend')}
          testId="flash-coupon-min"
          decimal
          placeholder={t('flash.coupon.noMinimum')}
          value={minSpend}
          error={fe('minSpend')}
          onChange={setMinSpend}
        />
      </div>
      <div className="flash-row">
        <NumberInput
          label={t('flash.studio.quota')}
          testId="flash-coupon-quota"
          value={quota}
          error={fe('quota')}
          onChange={setQuota}
        />
        <StartSelect value={startIn} error={fe('startsAt')} onChange={setStartIn} />
      </div>
      <div className="flash-row">
        <NumberSelect
          label={t('flash.studio.claimFor')}
          value={duration}
          options={COUPON_DURATIONS}
          optionLabel={(seconds) => durationLabel(seconds, t)}
          error={fe('durationSeconds')}
          onChange={setDuration}
        />
        <NumberSelect
          label={t('flash.studio.usableFor')}
          value={usable}
          options={USABLE_HOURS}
          optionLabel={(h) =>
            h % 24 === 0
              ? t('flash.studio.days', { count: h / 24 })
              : t('flash.studio.hours', { count: h })
          }
          error={fe('usableHours')}
          onChange={setUsable}
        />
      </div>
    </FlashForm>
  );
}
