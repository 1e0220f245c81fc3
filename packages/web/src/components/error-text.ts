import { LIMITS } from '@cunbo/shared';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/errors.ts';

/**
 * Words for an error. Codes we can say plainly in the reader's language are translated; any
 * other keeps the server's message, which is written to be shown.
 */
export function useErrorText() {
  const { t, i18n } = useTranslation();
  return useCallback(
    (err: unknown): string => {
      if (!(err instanceof ApiError)) return t('errors.generic');
      const key = `errors.${err.code}`;
      if (i18n.exists(key)) {
        const available =
          typeof err.details.available === 'number' ? err.details.available : undefined;
        return t(key, { available: available ?? 0 });
      }
      return err.message;
    },
    [t, i18n],
  );
}

/**
 * The message for one form field, if the error names it. Validation problems get a plain hint
 * for the field when we have one; business errors keep their own words.
 */
export function useFieldError() {
  const { t, i18n } = useTranslation();
  const errorText = useErrorText();
  return useCallback(
    (err: unknown, field: string): string | undefined => {
      if (!(err instanceof ApiError)) return undefined;
      const raw = err.fieldErrors[field];
      if (raw === undefined) return undefined;
      if (Array.isArray(err.details.issues)) {
        const key = `hints.${field.split('.').at(-1)}`;
        return i18n.exists(key) ? t(key, { min: LIMITS.passwordMin }) : raw;
      }
      return errorText(err);
    },
    [t, i18n, errorText],
  );
}

/** True when the error names one of `fields`, so it is shown there and not as a banner. */
export function isFieldError(err: unknown, fields: readonly string[]): boolean {
  return err instanceof ApiError && fields.some((f) => err.fieldErrors[f] !== undefined);
}
