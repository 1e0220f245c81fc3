/** Money is integer fen (CNY minor units) everywhere; only this module turns it into text. */

const SYMBOLS: Record<string, string> = { CNY: '¥' };

/** 1280 → "¥12.80". Negative amounts keep their sign before the symbol. */
export function formatMoney(fen: number, currency = 'CNY'): string {
  const symbol = SYMBOLS[currency] ?? `${currency} `;
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.round(fen));
  const yuan = Math.floor(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}${symbol}${yuan.toLocaleString('en-US')}.${cents}`;
}

/**
 * What a seller types ("12.8", "12.80", "12", "¥ 1,280.5") → fen, or null when it is not a
 * price. Parsed as text so 0.1 + 0.2 style float errors never reach the stored amount.
 */
export function yuanToFen(input: string): number | null {
  const clean = input.replace(/[¥,\s]/g, '').replace('，', '');
  const m = /^(\d{1,9})(?:[.。](\d{0,2}))?$/.exec(clean);
  if (!m) return null;
  const whole = Number(m[1]);
  const frac = Number((m[2] ?? '').padEnd(2, '0'));
  return whole * 100 + frac;
}

/** 1280 → "12.80", for filling a price field the seller edits. */
export function fenToYuanInput(fen: number): string {
  return `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;
}

/**
 * How much more the live channel pays than the traditional one, in whole percent
 * (1750 vs 1000 → 75). Null when there is no traditional price to compare with.
 */
export function upliftPercent(
  price: number,
  traditionalPrice: number | null | undefined,
): number | null {
  if (!traditionalPrice || traditionalPrice <= 0) return null;
  return Math.round(((price - traditionalPrice) / traditionalPrice) * 100);
}

/** 75 → "+75%", -10 → "-10%". */
export function formatPercent(percent: number): string {
  return `${percent > 0 ? '+' : ''}${percent}%`;
}
