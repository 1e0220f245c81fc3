import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import en from './en.json';
import it_ from './it.json';
import zh from './zh.json';

/** Keys without plural suffixes: Chinese has one form, English and Italian have _one/_other. */
function keys(obj: unknown, prefix = ''): string[] {
  if (typeof obj !== 'object' || obj === null) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}
const base = (list: string[]) =>
  [...new Set(list.map((k) => k.replace(/_(one|other)$/, '')))].sort();

describe('translations', () => {
  it('are complete in all three languages', () => {
    const zhKeys = base(keys(zh));
    expect(base(keys(en))).toEqual(zhKeys);
    expect(base(keys(it_))).toEqual(zhKeys);
  });

  it('have both plural forms wherever English or Italian count', () => {
    for (const lang of [en, it_]) {
      const all = keys(lang);
      for (const k of all.filter((x) => x.endsWith('_one')))
        expect(all).toContain(k.replace(/_one$/, '_other'));
    }
  });

  it('use the same placeholders in every language', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();
    const flat = (obj: unknown, prefix = ''): Record<string, string> =>
      typeof obj === 'string'
        ? { [prefix]: obj }
        : Object.assign(
            {},
            ...Object.entries(obj as object).map(([k, v]) =>
              flat(v, prefix ? `${prefix}.${k}` : k),
            ),
          );
    const z = flat(zh);
    for (const lang of [en, it_]) {
      const other = flat(lang);
      for (const [k, v] of Object.entries(z)) {
        const match = other[k] ?? other[`${k}_other`];
        expect(placeholders(match ?? ''), `${k}`).toEqual(placeholders(v));
      }
    }
  });

  it('count in Chinese without plural forms', async () => {
    const i = i18next.createInstance();
    await i.init({ lng: 'zh', resources: { zh: { translation: zh }, en: { translation: en } } });
    expect(i.t('live.viewers', { count: 3 })).toBe('3 人在看');
    await i.changeLanguage('en');
    expect(i.t('live.viewers', { count: 1 })).toBe('1 watching');
    expect(i.t('shop.followers', { count: 2 })).toBe('2 followers');
  });
});

describe('keys used in the code', () => {
  it('all exist', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const path = await import('node:path');
    const root = path.resolve(import.meta.dirname, '..');
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.tsx?$/.test(name) && !name.endsWith('.test.ts')) files.push(p);
      }
    };
    walk(root);
    const known = new Set(base(keys(zh)));
    const missing: string[] = [];
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z_.]+)'/g)) {
        if (!known.has(m[1]!)) missing.push(`${path.relative(root, file)}: ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
