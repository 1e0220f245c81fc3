import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './en.json';
import it from './it.json';
import zh from './zh.json';
import { preferredLang } from './preferred-lang.ts';

export const LANGUAGES = [
  { code: 'zh', label: '中文', htmlLang: 'zh-CN' },
  { code: 'en', label: 'English', htmlLang: 'en' },
  { code: 'it', label: 'Italiano', htmlLang: 'it' },
] as const;
export type Lang = (typeof LANGUAGES)[number]['code'];

const STORAGE_KEY = 'cunbo.lang';

export function isLang(v: unknown): v is Lang {
  return LANGUAGES.some((l) => l.code === v);
}

/** The language chosen on this device; else the browser's, if we speak it; else Chinese. */
export function storedLang(): Lang {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    if (isLang(v)) return v;
  } catch {
    // storage blocked
  }
  return preferredLang(typeof navigator === 'undefined' ? [] : navigator.languages);
}

export function rememberLang(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // storage blocked
  }
}

export function htmlLangOf(lang: Lang): string {
  return LANGUAGES.find((l) => l.code === lang)?.htmlLang ?? 'zh-CN';
}

export function initI18n(lang: Lang) {
  void i18next.use(initReactI18next).init({
    resources: { zh: { translation: zh }, en: { translation: en }, it: { translation: it } },
    lng: lang,
    fallbackLng: 'zh',
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  return i18next;
}
