import { LIMITS } from '@cunbo/shared';
import { useCallback, useEffect, useState, type ReactNode, type RefObject } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import type { PaymentMethod, RegionLevel } from '../../api/types.ts';
import { useSession } from '../../app/session.tsx';
import { useFieldError } from '../../components/error-text.ts';
import { Button, TextField } from '../../components/ui.tsx';
import {
  emptyAddress,
  loadLastAddress,
  missingAddressFields,
  saveLastAddress,
  type ShippingAddress,
} from '../../lib/address-memory.ts';
import { isPlaceable } from '../regions/region-codes.ts';
import { RegionPicker } from '../regions/region-picker.tsx';

/**
 * The parts every checkout shares (the buy sheet, the flash-sale sheet): the sheet itself,
 * "sign in first", how many, where to send it (remembered from last time) and how to pay.
 */
export const ADDRESS_FIELDS = [
  'shippingAddress.name',
  'shippingAddress.phone',
  'shippingAddress.regionCode',
  'shippingAddress.line1',
];
const PAY_KEY = 'cunbo.lastPayment';

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function regionLooksPlaceable(code: string, level: RegionLevel | null): boolean {
  if (level) return isPlaceable(level);
  return code.length >= 9 || (code.length === 6 && !code.endsWith('00'));
}

export interface AddressState {
  address: ShippingAddress;
  setAddress(a: ShippingAddress): void;
  setRegionLevel(level: RegionLevel | null): void;
  editing: boolean;
  setEditing(editing: boolean): void;
  localErrors: Partial<Record<keyof ShippingAddress, string>>;
  /** False (and the form opened with hints) when something is missing. */
  check(): boolean;
  /** The address as the API takes it. */
  payload(): ShippingAddress;
  /** Remember it on this device for the next purchase. */
  remember(): void;
}

export function useShippingAddress(): AddressState {
  const { t } = useTranslation();
  const { user } = useSession();
  const [remembered] = useState(() => loadLastAddress(storage(), user?.id));
  const [address, setAddress] = useState<ShippingAddress>(remembered ?? emptyAddress());
  const [regionLevel, setRegionLevel] = useState<RegionLevel | null>(null);
  const [editing, setEditing] = useState(remembered === null);
  const [localErrors, setLocalErrors] = useState<AddressState['localErrors']>({});

  const check = () => {
    const missing = missingAddressFields(address);
    if (!regionLooksPlaceable(address.regionCode, regionLevel) && !missing.includes('regionCode'))
      missing.push('regionCode');
    setLocalErrors(Object.fromEntries(missing.map((f) => [f, t(`hints.${f}`)])));
    if (missing.length > 0) setEditing(true);
    return missing.length === 0;
  };
  const payload = () => ({
    name: address.name.trim(),
    phone: address.phone.trim(),
    regionCode: address.regionCode,
    line1: address.line1.trim(),
  });
  const remember = () => saveLastAddress(storage(), address, user?.id);
  return {
    address,
    setAddress,
    setRegionLevel,
    editing,
    setEditing,
    localErrors,
    check,
    payload,
    remember,
  };
}

/** "Send to": the remembered address in one line, or the form to fill it. */
export function AddressSection({ state, error }: { state: AddressState; error: unknown }) {
  const { t } = useTranslation();
  const fieldError = useFieldError();
  const { address, setAddress } = state;
  const fe = (field: keyof ShippingAddress) =>
    state.localErrors[field] ?? fieldError(error, `shippingAddress.${field}`);
  return (
    <section className="buy-section" aria-labelledby="addr-h">
      <h4 id="addr-h">{t('buy.address')}</h4>
      {!state.editing ? (
        <div className="address-summary" data-testid="address-summary">
          <p>
            <strong>{address.name}</strong> {address.phone}
          </p>
          <p className="muted">{address.line1}</p>
          <Button
            variant="ghost"
            className="btn-small"
            data-testid="address-change"
            onClick={() => state.setEditing(true)}
          >
            {t('buy.changeAddress')}
          </Button>
        </div>
      ) : (
        <div className="address-form">
          <TextField
            label={t('address.name')}
            autoComplete="name"
            data-testid="address-name"
            maxLength={LIMITS.addressNameMax}
            value={address.name}
            error={fe('name')}
            onChange={(e) => setAddress({ ...address, name: e.target.value })}
          />
          <TextField
            label={t('address.phone')}
            type="tel"
            autoComplete="tel"
            inputMode="tel"
            data-testid="address-phone"
            maxLength={LIMITS.phoneMax}
            value={address.phone}
            error={fe('phone')}
            onChange={(e) => setAddress({ ...address, phone: e.target.value })}
          />
          <RegionPicker
            label={t('address.region')}
            testId="address-region"
            value={address.regionCode}
            error={fe('regionCode')}
            onChange={(code, level) => {
              setAddress({ ...address, regionCode: code });
              state.setRegionLevel(level);
            }}
          />
          <TextField
            label={t('address.line1')}
            autoComplete="street-address"
            data-testid="address-line1"
            maxLength={LIMITS.addressLineMax}
            placeholder={t('address.line1Placeholder')}
            value={address.line1}
            error={fe('line1')}
            onChange={(e) => setAddress({ ...address, line1: e.target.value })}
          />
        </div>
      )}
    </section>
  );
}

/** The payment method last used on this device (cash on delivery the first time). */
export function usePaymentMethod(): [PaymentMethod, (m: PaymentMethod) => void, () => void] {
  const [payment, setPayment] = useState<PaymentMethod>(() =>
    storage()?.getItem(PAY_KEY) === 'sandbox' ? 'sandbox' : 'cod',
  );
  const remember = useCallback(() => {
    try {
      storage()?.setItem(PAY_KEY, payment);
    } catch {
      // A full or blocked storage only costs one tap next time.
    }
  }, [payment]);
  return [payment, setPayment, remember];
}

export function PaymentChoice({
  value,
  onChange,
  onlineHint,
}: {
  value: PaymentMethod;
  onChange: (m: PaymentMethod) => void;
  /** Replaces the online hint (a flash sale says how long the units are held). */
  onlineHint?: string;
}) {
  const { t } = useTranslation();
  return (
    <fieldset className="buy-section pay-methods">
      <legend>{t('buy.payment')}</legend>
      <label className={`choice${value === 'cod' ? ' chosen' : ''}`}>
        <input
          type="radio"
          name="payment"
          value="cod"
          data-testid="pay-cod"
          checked={value === 'cod'}
          onChange={() => onChange('cod')}
        />
        <span>
          {t('payment.cod')}
          <small>{t('payment.codHint')}</small>
        </span>
      </label>
      <label className={`choice${value === 'sandbox' ? ' chosen' : ''}`}>
        <input
          type="radio"
          name="payment"
          value="sandbox"
          data-testid="pay-sandbox"
          checked={value === 'sandbox'}
          onChange={() => onChange('sandbox')}
        />
        <span>
          {t('payment.online')}
          <small>{onlineHint ?? t('payment.onlineHint')}</small>
        </span>
      </label>
    </fieldset>
  );
}

/**
 * The bottom sheet a checkout happens in: a dialog over the page with its title and a close
 * button, focused when it opens; Escape or a tap beside it closes it. `testId` names it
 * (`<testId>-sheet`, `<testId>-close`).
 */
export function CheckoutSheet({
  testId,
  title,
  sheetRef,
  onClose,
  children,
}: {
  testId: string;
  title: ReactNode;
  sheetRef: RefObject<HTMLDivElement | null>;
  onClose: () => void;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  useEffect(() => {
    sheetRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onClose, sheetRef]);
  return (
    <div className="sheet-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div
        className="sheet"
        role="dialog"
        aria-modal="true"
        aria-labelledby={`${testId}-sheet-title`}
        data-testid={`${testId}-sheet`}
        tabIndex={-1}
        ref={sheetRef}
      >
        <header className="sheet-header">
          <h2 id={`${testId}-sheet-title`}>{title}</h2>
          <button
            type="button"
            className="icon-button"
            aria-label={t('common.close')}
            data-testid={`${testId}-close`}
            onClick={onClose}
          >
            ✕
          </button>
        </header>
        {children}
      </div>
    </div>
  );
}

/** For a visitor: why to sign in, and a link that comes back here afterwards. */
export function SignInFirst({ message, testId }: { message: string; testId: string }) {
  const { t } = useTranslation();
  const [location] = useLocation();
  return (
    <div className="sheet-body">
      <p>{message}</p>
      <Link
        href={`/signin?next=${encodeURIComponent(location)}`}
        className="btn btn-primary btn-block"
        data-testid={testId}
      >
        {t('auth.signIn')}
      </Link>
    </div>
  );
}

/**
 * How many: − and + within 1…`max`, and the number between them (typed in when `onType` is
 * given, else read-only). `testIds` name the three parts for the browser tests.
 */
export function QuantityStepper({
  id,
  quantity,
  max,
  unit,
  disabled = false,
  testIds,
  onChange,
  onType,
}: {
  id: string;
  quantity: number;
  max: number;
  unit: string;
  disabled?: boolean;
  testIds: { minus: string; input: string; plus: string };
  onChange: (n: number) => void;
  onType?: (text: string) => void;
}) {
  const { t } = useTranslation();
  return (
    <div className="stepper-row">
      <span id={id}>{t('buy.quantity')}</span>
      <div className="stepper" role="group" aria-labelledby={id}>
        <button
          type="button"
          aria-label={t('buy.less')}
          data-testid={testIds.minus}
          disabled={quantity <= 1 || disabled}
          onClick={() => onChange(Math.max(1, quantity - 1))}
        >
          −
        </button>
        <input
          inputMode="numeric"
          aria-label={t('buy.quantity')}
          data-testid={testIds.input}
          value={quantity}
          {...(onType ? { disabled, onChange: (e) => onType(e.target.value) } : { readOnly: true })}
        />
        <button
          type="button"
          aria-label={t('buy.more')}
          data-testid={testIds.plus}
          disabled={quantity >= max || disabled}
          onClick={() => onChange(Math.min(max, quantity + 1))}
        >
          +
        </button>
      </div>
      <span className="muted">{unit}</span>
    </div>
  );
}

/**
 * The sheet once the order is placed: a check mark, `title`, what the checkout adds
 * (`children`: the total, how to pay), the order's page, and back to the show.
 */
export function OrderPlaced({
  orderId,
  title,
  testIds,
  onClose,
  children,
}: {
  orderId: string;
  title: string;
  testIds: { box: string; orderLink: string; done: string };
  onClose: () => void;
  children: ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <div className="sheet-body buy-success" data-testid={testIds.box} role="status">
      <p className="success-mark" aria-hidden="true">
        ✓
      </p>
      <h3>{title}</h3>
      {children}
      <Link
        href={`/orders/${orderId}`}
        className="btn btn-secondary btn-block"
        data-testid={testIds.orderLink}
      >
        {t('buy.seeOrder')}
      </Link>
      <Button variant="ghost" block onClick={onClose} data-testid={testIds.done}>
        {t('buy.keepWatching')}
      </Button>
    </div>
  );
}
