export type Lang = 'zh' | 'en' | 'it';

/**
 * The first language the browser asks for that we speak (`it-IT` → it, `zh-TW` → zh);
 * Chinese when none is. Used only until someone picks a language.
 */
export function preferredLang(languages: readonly string[]): Lang {
  for (const tag of languages) {
    const primary = tag.toLowerCase().split('-')[0];
    if (primary === 'zh' || primary === 'en' || primary === 'it') return primary;
  }
  return 'zh';
}
