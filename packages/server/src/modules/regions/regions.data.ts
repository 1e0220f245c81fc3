/**
 * The committed region table (data/regions.json.gz, built by scripts/build-regions.ts),
 * loaded once on first use and indexed in memory. No I/O after the first call.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export type RegionLevel = 'province' | 'prefecture' | 'county' | 'township' | 'village';
export type Locale = 'zh' | 'en' | 'it';

export interface Region {
  code: string;
  level: RegionLevel;
  parentCode: string | null;
  name: { zh: string; en: string; it: string };
}

/** One row of the data file: it is omitted when it equals en (pinyin). */
type Row = [code: string, zh: string, en: string, it?: string];

interface DataFile {
  format: 1;
  source: { package: string; upstream: string; pinyin: string };
  /** provinces whose townships and villages are in the table */
  deep: string[];
  /** prefecture-level cities without counties (东莞 441900 …), which act as their own county */
  countyless: string[];
  regions: Row[];
}

export interface RegionIndex {
  source: DataFile['source'];
  deep: ReadonlySet<string>;
  countyless: ReadonlySet<string>;
  byCode: ReadonlyMap<string, Region>;
  /** children by parent code; '' holds the provinces. Sorted by code. */
  children: ReadonlyMap<string, readonly Region[]>;
  /** every region, parents before children */
  all: readonly Region[];
}

const DATA_FILE = new URL('./data/regions.json.gz', import.meta.url);

/**
 * Prefecture-level entries that are statistical groupings, not places
 * (北京 110100 市辖区, 重庆 500200 县, 湖北 429000 省直辖县级行政区划 …).
 * They stay in the hierarchy (codes of their counties point at them) but are left out of
 * display names and search.
 */
const PLACEHOLDER_NAMES: ReadonlySet<string> = new Set([
  '市辖区',
  '县',
  '省直辖县级行政区划',
  '自治区直辖县级行政区划',
]);

export function isPlaceholder(region: Region): boolean {
  return region.level === 'prefecture' && PLACEHOLDER_NAMES.has(region.name.zh);
}

/** Level implied by the shape of a code, or null if it is not a 6-, 9- or 12-digit code. */
export function levelOfCode(code: string): RegionLevel | null {
  if (!/^\d+$/.test(code)) return null;
  switch (code.length) {
    case 6:
      if (code === '000000') return null;
      return code.endsWith('0000') ? 'province' : code.endsWith('00') ? 'prefecture' : 'county';
    case 9:
      return 'township';
    case 12:
      return 'village';
    default:
      return null;
  }
}

/** Parent code implied by a code (townships of 东莞 hang off the prefecture 441900 itself). */
function parentCodeOf(code: string, level: RegionLevel): string | null {
  switch (level) {
    case 'province':
      return null;
    case 'prefecture':
      return `${code.slice(0, 2)}0000`;
    case 'county':
      return `${code.slice(0, 4)}00`;
    case 'township':
      return code.slice(0, 6);
    case 'village':
      return code.slice(0, 9);
  }
}

let index: RegionIndex | null = null;

export function regionIndex(): RegionIndex {
  if (index) return index;
  const file = JSON.parse(gunzipSync(readFileSync(DATA_FILE)).toString('utf8')) as DataFile;
  if (file.format !== 1)
    throw new Error(`regions.json.gz: unsupported format ${String(file.format)}`);

  const byCode = new Map<string, Region>();
  const children = new Map<string, Region[]>();
  const all: Region[] = [];
  for (const [code, zh, en, it] of file.regions) {
    const level = levelOfCode(code);
    if (!level) throw new Error(`regions.json.gz: bad code ${code}`);
    const parentCode = parentCodeOf(code, level);
    if (parentCode !== null && !byCode.has(parentCode))
      throw new Error(`regions.json.gz: ${code} before its parent`);
    const region: Region = Object.freeze({
      code,
      level,
      parentCode,
      name: Object.freeze({ zh, en, it: it ?? en }),
    });
    byCode.set(code, region);
    all.push(region);
    const key = parentCode ?? '';
    const list = children.get(key);
    if (list) list.push(region);
    else children.set(key, [region]);
  }
  for (const list of children.values())
    list.sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));

  index = {
    source: file.source,
    deep: new Set(file.deep),
    countyless: new Set(file.countyless),
    byCode,
    children,
    all,
  };
  return index;
}
