import { describe, expect, it } from 'vitest';
import { preferredLang } from './preferred-lang.ts';

describe('preferredLang', () => {
  it('takes the first language we speak, in the browser’s order', () => {
    expect(preferredLang(['it-IT', 'en-US'])).toBe('it');
    expect(preferredLang(['de-DE', 'en-GB', 'zh-CN'])).toBe('en');
    expect(preferredLang(['zh-TW'])).toBe('zh');
  });

  it('falls back to Chinese', () => {
    expect(preferredLang(['fr-FR'])).toBe('zh');
    expect(preferredLang([])).toBe('zh');
  });
});
