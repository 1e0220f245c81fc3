/**
 * Chinese administrative regions (统计用区划代码, the NBS extension of GB/T 2260):
 * every province, prefecture and county of the mainland; townships and villages for
 * Shandong (see README.md). Pure in-memory look-ups, no I/O after the first call.
 *
 * Codes: 6-digit `xx0000` province, `xxxx00` prefecture, other 6-digit county,
 * 9-digit township, 12-digit village. Functions take codes exactly in that form;
 * `normalizeRegionCode` turns other common spellings into it.
 */
import {
  isPlaceholder,
  levelOfCode,
  regionIndex,
  type Locale,
  type Region,
  type RegionLevel,
} from './regions.data.ts';

export type { Locale, Region, RegionLevel };

export interface RegionPathItem {
  code: string;
  level: RegionLevel;
  name: string;
}

export interface RegionDescription {
  code: string;
  level: RegionLevel;
  /** the region's own name in the locale */
  name: string;
  /** province first … the region itself, without statistical placeholders such as 市辖区 */
  path: RegionPathItem[];
  /**
   * The whole path as one string: zh big-to-small without separators (山东省潍坊市寿光市);
   * en/it small-to-big, comma-separated (Shouguang Shi, Weifang Shi, Shandong Sheng).
   */
  fullName: string;
}

export function findRegion(code: string): Region | null {
  return regionIndex().byCode.get(code) ?? null;
}

/** Province first … the region itself; [] if the code is unknown. Placeholder prefectures (市辖区) are included. */
export function regionPath(code: string): Region[] {
  const { byCode } = regionIndex();
  const path: Region[] = [];
  for (
    let r = byCode.get(code);
    r;
    r = r.parentCode === null ? undefined : byCode.get(r.parentCode)
  )
    path.push(r);
  return path.reverse();
}

/**
 * Direct children, sorted by code; `null` lists the provinces. [] for unknown codes and
 * for counties outside the provinces whose townships are in the table.
 */
export function listChildren(code: string | null): Region[] {
  return [...(regionIndex().children.get(code ?? '') ?? [])];
}

export function describeRegion(code: string, locale: Locale): RegionDescription | null {
  const full = regionPath(code);
  const region = full[full.length - 1];
  if (!region) return null;
  const path = full
    .filter((r) => r === region || !isPlaceholder(r))
    .map((r) => ({ code: r.code, level: r.level, name: r.name[locale] }));
  const fullName =
    locale === 'zh'
      ? path.map((p) => p.name).join('')
      : path
          .map((p) => p.name)
          .reverse()
          .join(', ');
  return { code: region.code, level: region.level, name: region.name[locale], path, fullName };
}

/**
 * The county-level region containing `code` (a county is its own county), for
 * "someone from 寿光市 just bought…". Prefecture-level cities without counties
 * (东莞, 中山, 儋州) count as their own county. For a well-formed township or village
 * code that is not in the table (outside Shandong) the county is found from the code's
 * first six digits. Provinces, ordinary prefectures and unknown codes give null.
 */
export function countyOf(code: string): Region | null {
  const { byCode, countyless } = regionIndex();
  const level = levelOfCode(code);
  if (!level) return null;
  const county = level === 'township' || level === 'village' ? code.slice(0, 6) : code;
  const region = byCode.get(county);
  if (!region) return null;
  if (region.level === 'county' || countyless.has(region.code)) return region;
  return null;
}

/**
 * Accepts a code written in any of the usual ways and returns the canonical code used by
 * this module, or null: '37' → '370000', '3707' → '370700', '370783000000' → '370783',
 * '370783001000' → '370783001' (12-digit NBS padding). Surrounding spaces are ignored.
 * The result is not checked against the table; use findRegion for that.
 */
export function normalizeRegionCode(input: string): string | null {
  const code = input.trim();
  if (!/^\d+$/.test(code)) return null;
  let out: string;
  if (code.length === 2) out = `${code}0000`;
  else if (code.length === 4) out = `${code}00`;
  else if (code.length === 12 && code.endsWith('000000')) out = code.slice(0, 6);
  else if (code.length === 12 && code.endsWith('000')) out = code.slice(0, 9);
  else out = code;
  return levelOfCode(out) ? out : null;
}

// ---------------------------------------------------------------- search

interface SearchEntry {
  region: Region;
  /** 0 province … 4 village */
  depth: number;
  zh: string;
  /** pinyin lower-cased without spaces, apostrophes or ü (shouguangshi) */
  key: string;
  /** offsets in `key` where the second, third … pinyin word starts (for "binhai" in Weifang Binhai …) */
  starts: number[];
}

const DEPTH: Record<RegionLevel, number> = {
  province: 0,
  prefecture: 1,
  county: 2,
  township: 3,
  village: 4,
};
let searchEntries: SearchEntry[] | null = null;

/** Lower-case, toneless, no ü: "Lǚ Shùn" / "Lü" / "lv" all fold to "lu". */
function fold(s: string): string {
  return s
    .toLowerCase()
    .replace(/ü|v/g, 'u')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '');
}

function entries(): SearchEntry[] {
  if (searchEntries) return searchEntries;
  searchEntries = regionIndex()
    .all.filter((r) => !isPlaceholder(r))
    .map((region) => {
      const words = fold(region.name.en)
        .split(/[^a-z0-9]+/)
        .filter(Boolean);
      const starts: number[] = [];
      let at = 0;
      for (const w of words) {
        if (at > 0) starts.push(at);
        at += w.length;
      }
      return {
        region,
        depth: DEPTH[region.level],
        zh: region.name.zh,
        key: words.join(''),
        starts,
      };
    });
  return searchEntries;
}

const HANZI = /[\u3007\u3400-\u9fff\u{20000}-\u{2ffff}]/u;

/**
 * Regions whose Chinese name contains `query`, or whose pinyin starts with it (spaces,
 * apostrophes, case and tone marks ignored: "shouguang", "Shouguang Shi", "shou guang"),
 * or one of whose later pinyin words starts with it ("binhai" finds 潍坊滨海经济技术开发区).
 * Best first: exact name, then prefix, then other matches; higher levels before lower;
 * then by code. Placeholder prefectures (市辖区) are never returned.
 */
export function searchRegions(query: string, limit: number): Region[] {
  const q = query.trim();
  if (!q || !(limit > 0)) return [];
  const max = Math.floor(limit);
  const hits: { e: SearchEntry; rank: number }[] = [];
  if (HANZI.test(q)) {
    for (const e of entries()) {
      if (e.zh === q) hits.push({ e, rank: 0 });
      else if (e.zh.startsWith(q)) hits.push({ e, rank: 1 });
      else if (e.zh.includes(q)) hits.push({ e, rank: 2 });
    }
  } else {
    const key = fold(q).replace(/[^a-z0-9]/g, '');
    if (!key) return [];
    for (const e of entries()) {
      if (e.key === key) hits.push({ e, rank: 0 });
      else if (e.key.startsWith(key)) hits.push({ e, rank: 1 });
      else if (key.length >= 2 && e.starts.some((at) => e.key.startsWith(key, at)))
        hits.push({ e, rank: 2 });
    }
  }
  hits.sort(
    (a, b) =>
      a.rank - b.rank ||
      a.e.depth - b.e.depth ||
      (a.e.region.code < b.e.region.code ? -1 : a.e.region.code > b.e.region.code ? 1 : 0),
  );
  return hits.slice(0, max).map((h) => h.e.region);
}
