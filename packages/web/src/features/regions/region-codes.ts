import type { RegionLevel } from '../../api/types.ts';

export const REGION_LEVELS: readonly RegionLevel[] = [
  'province',
  'prefecture',
  'county',
  'township',
  'village',
];

/**
 * The codes from the province down to `code`, read from the code itself (GB/T 2260 / NBS:
 * 2 digits province, 4 prefecture, 6 county, 9 township, 12 village). Placeholder prefectures
 * such as 110100 市辖区 are included, because the region lists nest through them. A city
 * without counties (441900 东莞市) is its own county: its code appears once.
 */
export function ancestorCodes(code: string): string[] {
  if (!/^([0-9]{6}|[0-9]{9}|[0-9]{12})$/.test(code)) return [];
  const chain = [`${code.slice(0, 2)}0000`, `${code.slice(0, 4)}00`, code.slice(0, 6)];
  if (code.length >= 9) chain.push(code.slice(0, 9));
  if (code.length === 12) chain.push(code);
  return chain.filter((c, i) => chain.indexOf(c) === i);
}

export function levelRank(level: RegionLevel): number {
  return REGION_LEVELS.indexOf(level);
}

/** A shop or a shipping address is placed at a county, a township or a village. */
export function isPlaceable(level: RegionLevel | null): boolean {
  return level !== null && levelRank(level) >= levelRank('county');
}
