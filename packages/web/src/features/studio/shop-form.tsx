import { LIMITS } from '@cunbo/shared';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import type { RegionLevel, Shop } from '../../api/types.ts';
import { isFieldError, useFieldError } from '../../components/error-text.ts';
import { Button, ErrorNote, TextArea, TextField } from '../../components/ui.tsx';
import { isPlaceable } from '../regions/region-codes.ts';
import { RegionPicker } from '../regions/region-picker.tsx';
import { Icon } from '../../components/icons.tsx';
import { focusFirstInvalid } from '../../components/focus-invalid.ts';

const FIELDS = ['name', 'description', 'regionCode'];

export function ShopForm({ shop, onSaved }: { shop: Shop | null; onSaved: (shop: Shop) => void }) {
  const { t } = useTranslation();
  const fieldError = useFieldError();
  const [name, setName] = useState(shop?.name ?? '');
  const [description, setDescription] = useState(shop?.description ?? '');
  const [regionCode, setRegionCode] = useState(shop?.regionCode ?? '');
  const [level, setLevel] = useState<RegionLevel | null>(shop ? 'county' : null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);

  async function save() {
    const problems: Record<string, string> = {};
    if (!name.trim()) problems.name = t('hints.shopName');
    if (!regionCode || !isPlaceable(level)) problems.regionCode = t('hints.regionCode');
    setLocal(problems);
    if (Object.keys(problems).length > 0) {
      focusFirstInvalid(document.body);
      return;
    }
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      const res = await api.put<{ shop: Shop }>('/shop', {
        name: name.trim(),
        description: description.trim(),
        regionCode,
      });
      setSaved(true);
      onSaved(res.shop);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fe = (f: string) => local[f] ?? fieldError(error, f);
  return (
    <form
      className="card form"
      data-testid="shop-form"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <TextField
        label={t('studio.shopName')}
        data-testid="shop-name"
        maxLength={LIMITS.shopNameMax}
        value={name}
        error={fe('name')}
        onChange={(e) => setName(e.target.value)}
      />
      <TextArea
        label={t('studio.shopDescription')}
        data-testid="shop-description"
        rows={3}
        maxLength={LIMITS.shopDescriptionMax}
        placeholder={t('studio.shopDescriptionPlaceholder')}
        value={description}
        error={fe('description')}
        onChange={(e) => setDescription(e.target.value)}
      />
      <RegionPicker
        label={t('studio.shopPlace')}
        testId="shop-region"
        value={regionCode}
        error={fe('regionCode')}
        onChange={(code, lv) => {
          setRegionCode(code);
          setLevel(lv);
        }}
      />
      {shop?.region && (
        <p className="muted">
          <Icon name="pin" size={16} /> {shop.region.fullName}
        </p>
      )}
      {error && !isFieldError(error, FIELDS) ? (
        <ErrorNote error={error} testId="shop-error" />
      ) : null}
      {saved && (
        <p className="success-text" role="status" data-testid="shop-saved">
          {t('common.saved')}
        </p>
      )}
      <Button type="submit" busy={busy} block data-testid="shop-save">
        {shop ? t('common.save') : t('studio.openShop')}
      </Button>
    </form>
  );
}
