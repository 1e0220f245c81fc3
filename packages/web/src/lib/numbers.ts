/** 12345 → "1.2万" (zh) / "12.3K" (en): counts of viewers and likes stay short on a phone. */
export function compactNumber(n: number, lang: string): string {
  return new Intl.NumberFormat(lang === 'zh' ? 'zh-CN' : lang, {
    notation: 'compact',
    maximumFractionDigits: 1,
  }).format(n);
}
