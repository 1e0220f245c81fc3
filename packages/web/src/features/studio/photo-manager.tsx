import { LIMITS } from '@cunbo/shared';
import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client.ts';
import type { Product } from '../../api/types.ts';
import { useErrorText } from '../../components/error-text.ts';
import { photoAt } from '../../lib/photo.ts';
import { ACCEPT, photoProblem } from './photo-rules.ts';

export function PhotoManager({
  product,
  onChange,
}: {
  product: Product;
  onChange: (p: Product) => void;
}) {
  const { t } = useTranslation();
  const errorText = useErrorText();
  const id = useId();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const full = product.photos.length >= LIMITS.photosPerProductMax;

  async function upload(files: FileList | null) {
    if (!files || files.length === 0) return;
    setError(null);
    let current = product;
    for (const file of [...files]) {
      if (current.photos.length >= LIMITS.photosPerProductMax) {
        setError(t('photos.tooMany', { max: LIMITS.photosPerProductMax }));
        break;
      }
      const problem = photoProblem(file);
      if (problem) {
        setError(
          t(`photos.${problem}`, { name: file.name, max: LIMITS.photoBytesMax / 1024 / 1024 }),
        );
        continue;
      }
      setBusy(file.name);
      try {
        const form = new FormData();
        form.append('file', file);
        current = (await api.upload<{ product: Product }>(`/products/${product.id}/photos`, form))
          .product;
        onChange(current);
      } catch (err) {
        const code = err instanceof ApiError ? err.code : '';
        setError(
          code === 'PAYLOAD_TOO_LARGE'
            ? t('photos.tooLarge', { name: file.name, max: LIMITS.photoBytesMax / 1024 / 1024 })
            : code === 'UNSUPPORTED_MEDIA_TYPE'
              ? t('photos.wrongType', { name: file.name })
              : `${file.name}: ${errorText(err)}`,
        );
      } finally {
        setBusy(null);
      }
    }
  }

  async function remove(photoId: string) {
    setBusy(photoId);
    setError(null);
    try {
      onChange(
        (await api.delete<{ product: Product }>(`/products/${product.id}/photos/${photoId}`))
          .product,
      );
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="photo-manager" data-testid="photo-manager">
      <p className="label">
        {t('photos.title', { count: product.photos.length, max: LIMITS.photosPerProductMax })}
      </p>
      <ul className="photo-grid">
        {product.photos.map((p) => (
          <li key={p.id}>
            <img src={photoAt(p.url, 320)} alt="" width={96} height={96} loading="lazy" />
            <button
              type="button"
              className="photo-remove"
              aria-label={t('photos.remove')}
              disabled={busy !== null}
              onClick={() => void remove(p.id)}
            >
              ✕
            </button>
          </li>
        ))}
        {!full && (
          <li>
            <label htmlFor={id} className={`photo-add${busy ? ' busy' : ''}`}>
              {busy ? (
                <span className="spinner" aria-hidden="true" />
              ) : (
                <span aria-hidden="true">+</span>
              )}
              <span>{busy ? t('photos.uploading') : t('photos.add')}</span>
            </label>
            <input
              id={id}
              className="sr-only"
              type="file"
              accept={ACCEPT.join(',')}
              multiple
              disabled={busy !== null}
              data-testid="photo-input"
              onChange={(e) => {
                void upload(e.target.files);
                e.target.value = '';
              }}
            />
          </li>
        )}
      </ul>
      {error && (
        <p className="field-error" role="alert" data-testid="photo-error">
          {error}
        </p>
      )}
      <p className="field-hint">{t('photos.hint', { max: LIMITS.photoBytesMax / 1024 / 1024 })}</p>
    </div>
  );
}
