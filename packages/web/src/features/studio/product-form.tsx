import { LIMITS, PRODUCT_CATEGORIES, type ProductCategory } from '@cunbo/shared';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client.ts';
import type { Product } from '../../api/types.ts';
import { isFieldError, useFieldError } from '../../components/error-text.ts';
import { Button, ErrorNote, SelectField, TextArea, TextField } from '../../components/ui.tsx';
import { fenToYuanInput, formatPercent, upliftPercent, yuanToFen } from '../../lib/money.ts';
import { PhotoManager } from './photo-manager.tsx';
import { focusFirstInvalid } from '../../components/focus-invalid.ts';

const FIELDS = ['title', 'description', 'unit', 'category', 'price', 'stock', 'traditionalPrice'];
const UNITS = ['kg', '斤', '箱', '袋', '个', '只', '盒', '瓶', 'box', 'bag'];

/** Create or edit one product. Prices are typed in yuan and sent in fen. */
export function ProductForm({
  product,
  onSaved,
  onClose,
}: {
  product: Product | null;
  onSaved: (p: Product) => void;
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const fieldError = useFieldError();
  const [saved, setSaved] = useState<Product | null>(product);
  const [title, setTitle] = useState(product?.title ?? '');
  const [description, setDescription] = useState(product?.description ?? '');
  const [unit, setUnit] = useState(product?.unit ?? 'kg');
  const [category, setCategory] = useState<ProductCategory>(product?.category ?? 'other');
  const [price, setPrice] = useState(product ? fenToYuanInput(product.price) : '');
  const [stock, setStock] = useState(product ? String(product.stock) : '');
  const [traditional, setTraditional] = useState(
    product?.traditionalPrice ? fenToYuanInput(product.traditionalPrice) : '',
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [local, setLocal] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<string | null>(null);

  const priceFen = yuanToFen(price);
  const traditionalFen = traditional.trim() ? yuanToFen(traditional) : null;
  const uplift = priceFen && traditionalFen ? upliftPercent(priceFen, traditionalFen) : null;

  /** Hide a product from sale (or put it back) without losing its photos and orders. */
  async function setStatus(status: 'active' | 'archived') {
    if (!saved) return;
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const res = await api.patch<{ product: Product }>(`/products/${saved.id}`, { status });
      setSaved(res.product);
      onSaved(res.product);
      setNotice(status === 'archived' ? t('studio.archived') : t('studio.unarchived'));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  async function save() {
    const problems: Record<string, string> = {};
    if (!title.trim()) problems.title = t('hints.title');
    if (!unit.trim()) problems.unit = t('hints.unit');
    if (!priceFen || priceFen > LIMITS.priceFenMax) problems.price = t('hints.price');
    const stockN = Number(stock);
    if (!/^\d+$/.test(stock.trim()) || stockN > LIMITS.stockMax) problems.stock = t('hints.stock');
    if (traditional.trim() && (!traditionalFen || traditionalFen > LIMITS.priceFenMax))
      problems.traditionalPrice = t('hints.price');
    setLocal(problems);
    if (Object.keys(problems).length > 0) {
      focusFirstInvalid(document.body);
      return;
    }
    setBusy(true);
    setError(null);
    setNotice(null);
    const body = {
      title: title.trim(),
      description: description.trim(),
      unit: unit.trim(),
      category,
      price: priceFen,
      stock: stockN,
      traditionalPrice: traditionalFen,
    };
    try {
      const res = saved
        ? await api.patch<{ product: Product }>(`/products/${saved.id}`, body)
        : await api.post<{ product: Product }>('/products', body);
      setNotice(saved ? t('common.saved') : t('studio.productCreated'));
      setSaved(res.product);
      onSaved(res.product);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  const fe = (f: string) => local[f] ?? fieldError(error, f);
  return (
    <div className="card product-form" data-testid="product-form">
      <header className="card-header">
        <h3>{saved ? t('studio.editProduct') : t('studio.newProduct')}</h3>
        <Button
          variant="ghost"
          className="btn-small"
          onClick={onClose}
          data-testid="product-form-close"
        >
          {t('common.close')}
        </Button>
      </header>
      <form
        className="form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <TextField
          label={t('studio.productTitle')}
          data-testid="product-title"
          maxLength={LIMITS.productTitleMax}
          placeholder={t('studio.productTitlePlaceholder')}
          value={title}
          error={fe('title')}
          onChange={(e) => setTitle(e.target.value)}
        />
        <TextArea
          label={t('studio.productDescription')}
          data-testid="product-description"
          rows={3}
          maxLength={LIMITS.productDescriptionMax}
          value={description}
          error={fe('description')}
          onChange={(e) => setDescription(e.target.value)}
        />
        <div className="form-row">
          <TextField
            label={t('studio.unit')}
            data-testid="product-unit"
            list="unit-options"
            maxLength={LIMITS.productUnitMax}
            hint={t('studio.unitHint')}
            value={unit}
            error={fe('unit')}
            onChange={(e) => setUnit(e.target.value)}
          />
          <datalist id="unit-options">
            {UNITS.map((u) => (
              <option key={u} value={u} />
            ))}
          </datalist>
          <SelectField
            label={t('studio.category')}
            data-testid="product-category"
            value={category}
            error={fe('category')}
            onChange={(e) => setCategory(e.target.value as ProductCategory)}
          >
            {PRODUCT_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {t(`categories.${c}`)}
              </option>
            ))}
          </SelectField>
        </div>
        <div className="form-row">
          <TextField
            label={t('studio.price', { unit: unit || '…' })}
            data-testid="product-price"
            inputMode="decimal"
            placeholder="12.80"
            value={price}
            error={fe('price')}
            onChange={(e) => setPrice(e.target.value)}
          />
          <TextField
            label={t('studio.stock', { unit: unit || '…' })}
            data-testid="product-stock"
            inputMode="numeric"
            placeholder="100"
            value={stock}
            error={fe('stock')}
            onChange={(e) => setStock(e.target.value)}
          />
        </div>
        <TextField
          label={t('studio.traditionalPrice', { unit: unit || '…' })}
          data-testid="product-traditional-price"
          inputMode="decimal"
          hint={
            uplift !== null
              ? t('product.uplift', { percent: formatPercent(uplift) })
              : t('studio.traditionalHint')
          }
          value={traditional}
          error={fe('traditionalPrice')}
          onChange={(e) => setTraditional(e.target.value)}
        />
        {error && !isFieldError(error, FIELDS) ? (
          <ErrorNote error={error} testId="product-error" />
        ) : null}
        {notice && (
          <p className="success-text" role="status" data-testid="product-saved">
            {notice}
          </p>
        )}
        <Button type="submit" busy={busy} block data-testid="product-save">
          {saved ? t('common.save') : t('studio.createProduct')}
        </Button>
        {saved && (
          <Button
            variant="ghost"
            block
            busy={busy}
            data-testid="product-archive"
            onClick={() => void setStatus(saved.status === 'active' ? 'archived' : 'active')}
          >
            {saved.status === 'active' ? t('studio.archive') : t('studio.unarchive')}
          </Button>
        )}
      </form>
      {saved ? (
        <PhotoManager
          product={saved}
          onChange={(p) => {
            setSaved(p);
            onSaved(p);
          }}
        />
      ) : (
        <p className="field-hint">{t('studio.photosAfterSave')}</p>
      )}
    </div>
  );
}
