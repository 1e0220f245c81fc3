import { describe, expect, it } from 'vitest';
import { regionIndex } from './regions.data.ts';
import {
  countyOf,
  describeRegion,
  findRegion,
  listChildren,
  normalizeRegionCode,
  regionPath,
  searchRegions,
} from './regions.service.ts';

// Real codes from the NBS 2023 table: 山东省 › 潍坊市 › 寿光市 › 圣城街道 / 化龙镇 › 马庄村委会
const SHANDONG = '370000';
const WEIFANG = '370700';
const SHOUGUANG = '370783';
const SHENGCHENG = '370783001'; // 圣城街道
const HUALONG = '370783100'; // 化龙镇
const MAZHUANG = '370783100200'; // 马庄村委会

describe('findRegion', () => {
  it('finds every level of a real Shandong path', () => {
    expect(findRegion(SHANDONG)).toEqual({
      code: SHANDONG,
      level: 'province',
      parentCode: null,
      name: { zh: '山东省', en: 'Shandong Sheng', it: 'Shandong Sheng' },
    });
    expect(findRegion(WEIFANG)).toMatchObject({
      level: 'prefecture',
      parentCode: SHANDONG,
      name: { zh: '潍坊市', en: 'Weifang Shi' },
    });
    expect(findRegion(SHOUGUANG)).toEqual({
      code: SHOUGUANG,
      level: 'county',
      parentCode: WEIFANG,
      name: { zh: '寿光市', en: 'Shouguang Shi', it: 'Shouguang Shi' },
    });
    expect(findRegion(SHENGCHENG)).toMatchObject({
      level: 'township',
      parentCode: SHOUGUANG,
      name: { zh: '圣城街道', en: 'Shengcheng Jiedao' },
    });
    expect(findRegion(HUALONG)).toMatchObject({
      level: 'township',
      parentCode: SHOUGUANG,
      name: { zh: '化龙镇', en: 'Hualong Zhen' },
    });
    expect(findRegion(MAZHUANG)).toEqual({
      code: MAZHUANG,
      level: 'village',
      parentCode: HUALONG,
      name: { zh: '马庄村委会', en: 'Mazhuang Cunweihui', it: 'Mazhuang Cunweihui' },
    });
  });

  it('returns null for unknown or malformed codes', () => {
    for (const code of [
      '',
      'abc',
      '000000',
      '990000',
      '370799',
      '370783999',
      '370783100999',
      '37',
      '3707',
      '370783000000',
      ' 370783',
    ])
      expect(findRegion(code), code).toBeNull();
  });

  it('has the whole country down to counties', () => {
    expect(findRegion('110101')?.name.zh).toBe('东城区');
    expect(findRegion('440106')?.name).toEqual({ zh: '天河区', en: 'Tianhe Qu', it: 'Tianhe Qu' });
    expect(findRegion('650000')?.name.en).toBe("Xinjiang Weiwu'er Zizhiqu");
    // townships and villages only for Shandong
    expect(findRegion('440106001')).toBeNull();
  });

  it('returns frozen shared objects', () => {
    const r = findRegion(SHOUGUANG)!;
    expect(Object.isFrozen(r) && Object.isFrozen(r.name)).toBe(true);
    expect(findRegion(SHOUGUANG)).toBe(r);
  });
});

describe('regionPath', () => {
  it('goes from the province to the region itself', () => {
    expect(regionPath(MAZHUANG).map((r) => r.code)).toEqual([
      SHANDONG,
      WEIFANG,
      SHOUGUANG,
      HUALONG,
      MAZHUANG,
    ]);
    expect(regionPath(SHANDONG).map((r) => r.code)).toEqual([SHANDONG]);
  });

  it('is empty for unknown codes', () => {
    expect(regionPath('370783999')).toEqual([]);
    expect(regionPath('nope')).toEqual([]);
  });

  it('keeps statistical placeholder prefectures in the structure', () => {
    expect(regionPath('110101').map((r) => r.code)).toEqual(['110000', '110100', '110101']);
    expect(findRegion('110100')?.name).toEqual({
      zh: '市辖区',
      en: 'Municipal Districts',
      it: 'Distretti municipali',
    });
    expect(regionPath('429004').map((r) => r.name.zh)).toEqual([
      '湖北省',
      '省直辖县级行政区划',
      '仙桃市',
    ]);
  });
});

describe('listChildren', () => {
  it('lists the 31 mainland provinces for null, sorted by code', () => {
    const provinces = listChildren(null);
    expect(provinces).toHaveLength(31);
    expect(provinces[0]?.code).toBe('110000');
    expect(provinces.map((p) => p.code)).toContain(SHANDONG);
    expect(provinces.every((p) => p.level === 'province' && p.parentCode === null)).toBe(true);
  });

  it('lists prefectures, counties, townships and villages', () => {
    const prefectures = listChildren(SHANDONG);
    expect(prefectures).toHaveLength(16);
    expect(prefectures.map((p) => p.name.zh)).toContain('潍坊市');

    const counties = listChildren(WEIFANG);
    expect(counties.map((c) => c.code)).toContain(SHOUGUANG);
    expect(counties.every((c) => c.level === 'county' && c.parentCode === WEIFANG)).toBe(true);

    const townships = listChildren(SHOUGUANG);
    expect(townships.map((t) => t.code)).toEqual(expect.arrayContaining([SHENGCHENG, HUALONG]));
    expect(townships.every((t) => t.level === 'township')).toBe(true);
    const codes = townships.map((t) => t.code);
    expect(codes).toEqual([...codes].sort());

    const villages = listChildren(HUALONG);
    expect(villages.map((v) => v.code)).toContain(MAZHUANG);
    expect(villages.every((v) => v.level === 'village' && v.parentCode === HUALONG)).toBe(true);
  });

  it('is empty for leaves, unknown codes and counties outside Shandong', () => {
    expect(listChildren(MAZHUANG)).toEqual([]);
    expect(listChildren('999999')).toEqual([]);
    expect(listChildren('440106')).toEqual([]);
  });

  it('returns a copy', () => {
    listChildren(null).pop();
    expect(listChildren(null)).toHaveLength(31);
  });
});

describe('describeRegion', () => {
  it('names a county in each locale', () => {
    expect(describeRegion(SHOUGUANG, 'zh')).toEqual({
      code: SHOUGUANG,
      level: 'county',
      name: '寿光市',
      path: [
        { code: SHANDONG, level: 'province', name: '山东省' },
        { code: WEIFANG, level: 'prefecture', name: '潍坊市' },
        { code: SHOUGUANG, level: 'county', name: '寿光市' },
      ],
      fullName: '山东省潍坊市寿光市',
    });
    expect(describeRegion(SHOUGUANG, 'en')?.fullName).toBe(
      'Shouguang Shi, Weifang Shi, Shandong Sheng',
    );
    expect(describeRegion(SHOUGUANG, 'it')?.fullName).toBe(
      'Shouguang Shi, Weifang Shi, Shandong Sheng',
    );
  });

  it('names a village', () => {
    expect(describeRegion(MAZHUANG, 'zh')?.fullName).toBe('山东省潍坊市寿光市化龙镇马庄村委会');
    const en = describeRegion(MAZHUANG, 'en');
    expect(en?.name).toBe('Mazhuang Cunweihui');
    expect(en?.path.map((p) => p.level)).toEqual([
      'province',
      'prefecture',
      'county',
      'township',
      'village',
    ]);
    expect(en?.fullName).toBe(
      'Mazhuang Cunweihui, Hualong Zhen, Shouguang Shi, Weifang Shi, Shandong Sheng',
    );
  });

  it('leaves placeholder prefectures out of display names', () => {
    expect(describeRegion('110101', 'zh')?.fullName).toBe('北京市东城区');
    expect(describeRegion('110101', 'en')?.path.map((p) => p.code)).toEqual(['110000', '110101']);
    expect(describeRegion('429004', 'zh')?.fullName).toBe('湖北省仙桃市');
    expect(describeRegion('110100', 'it')?.fullName).toBe('Distretti municipali, Beijing Shi');
  });

  it('is null for unknown codes', () => {
    expect(describeRegion('370783999', 'zh')).toBeNull();
  });
});

describe('countyOf', () => {
  it('finds the county of a village, a township and a county', () => {
    expect(countyOf(MAZHUANG)?.code).toBe(SHOUGUANG);
    expect(countyOf(SHENGCHENG)?.name.zh).toBe('寿光市');
    expect(countyOf(SHOUGUANG)?.code).toBe(SHOUGUANG);
    expect(countyOf('429004')?.name.zh).toBe('仙桃市');
  });

  it('is null above county level and for unknown counties', () => {
    expect(countyOf(WEIFANG)).toBeNull();
    expect(countyOf(SHANDONG)).toBeNull();
    expect(countyOf('370799001')).toBeNull();
    expect(countyOf('hello')).toBeNull();
  });

  it('derives the county from the code when the township is not in the table', () => {
    expect(countyOf('440106001001')?.name.zh).toBe('天河区');
  });

  it('treats prefecture-level cities without counties as their own county', () => {
    expect(findRegion('441900')).toMatchObject({
      level: 'prefecture',
      name: { zh: '东莞市', en: 'Dongguan Shi' },
    });
    expect(countyOf('441900')?.code).toBe('441900');
    expect(countyOf('441900003')?.code).toBe('441900');
  });
});

describe('searchRegions', () => {
  it('matches Chinese names, exact and prefix first', () => {
    expect(searchRegions('寿光', 5)[0]?.code).toBe(SHOUGUANG);
    expect(searchRegions('寿光市', 5)[0]?.code).toBe(SHOUGUANG);
    const weifang = searchRegions('潍坊', 10);
    expect(weifang[0]?.code).toBe(WEIFANG);
    expect(weifang.every((r) => r.name.zh.includes('潍坊'))).toBe(true);
    expect(searchRegions('马庄村委会', 50).map((r) => r.code)).toContain(MAZHUANG);
  });

  it('matches pinyin prefixes, ignoring case, spaces and apostrophes', () => {
    for (const q of ['shouguang', 'SHOUGUANG', 'Shouguang Shi', 'shou guang', 'shouguangs'])
      expect(searchRegions(q, 3)[0]?.code, q).toBe(SHOUGUANG);
    expect(searchRegions('xian', 20).map((r) => r.name.zh)).toContain('西安市');
    expect(searchRegions("Xi'an", 20).map((r) => r.name.zh)).toContain('西安市');
  });

  it('matches later pinyin words after prefixes', () => {
    const hits = searchRegions('binhai', 50).map((r) => r.code);
    expect(hits).toContain('370772'); // 潍坊滨海经济技术开发区, Weifang Binhai …
    expect(hits.indexOf('120116')).toBeLessThan(hits.indexOf('370772')); // 滨海新区 is a prefix match
  });

  it('ranks higher levels first', () => {
    const levels = searchRegions('weifang', 10).map((r) => r.level);
    expect(levels[0]).toBe('prefecture');
  });

  it('respects the limit and ignores empty queries', () => {
    expect(searchRegions('zhuang', 7)).toHaveLength(7);
    expect(searchRegions('', 10)).toEqual([]);
    expect(searchRegions('   ', 10)).toEqual([]);
    expect(searchRegions('shouguang', 0)).toEqual([]);
    expect(searchRegions('qqqqzzzz', 10)).toEqual([]);
  });

  it('never returns placeholder prefectures', () => {
    expect(searchRegions('市辖区', 10).some((r) => r.code === '110100')).toBe(false);
  });
});

describe('normalizeRegionCode', () => {
  it('canonicalises short and padded codes', () => {
    expect(normalizeRegionCode('37')).toBe(SHANDONG);
    expect(normalizeRegionCode('3707')).toBe(WEIFANG);
    expect(normalizeRegionCode(' 370783000000 ')).toBe(SHOUGUANG);
    expect(normalizeRegionCode('370783001000')).toBe(SHENGCHENG);
    expect(normalizeRegionCode(MAZHUANG)).toBe(MAZHUANG);
    expect(normalizeRegionCode('37078')).toBeNull();
    expect(normalizeRegionCode('abc')).toBeNull();
  });
});

describe('data', () => {
  it('has Shandong complete down to villages', () => {
    const { all, deep } = regionIndex();
    expect([...deep]).toEqual(['37']);
    const count = (level: string) =>
      all.filter((r) => r.code.startsWith('37') && r.level === level).length;
    expect(count('prefecture')).toBe(16);
    expect(count('county')).toBeGreaterThan(130);
    expect(count('township')).toBeGreaterThan(1800);
    expect(count('village')).toBeGreaterThan(60000);
    // every Shandong county has townships, every township has villages
    const childless = all.filter(
      (r) =>
        r.code.startsWith('37') &&
        (r.level === 'county' || r.level === 'township') &&
        listChildren(r.code).length === 0,
    );
    expect(childless).toEqual([]);
  });

  it('has a parent for every region and pinyin without Hanzi', () => {
    const { all, byCode } = regionIndex();
    expect(all.filter((r) => r.parentCode !== null && !byCode.has(r.parentCode))).toEqual([]);
    expect(all.filter((r) => /[\u3400-\u9fff]/.test(r.name.en + r.name.it))).toEqual([]);
  });

  it('uses place-name readings for polyphonic characters', () => {
    expect(findRegion('371722')?.name.en).toBe('Shan Xian'); // 单县
    expect(findRegion('371481')?.name.en).toBe('Laoling Shi'); // 乐陵市
    expect(findRegion('371524')?.name.en).toBe("Dong'e Xian"); // 东阿县
    expect(findRegion('610000')?.name.en).toBe('Shaanxi Sheng'); // 陕西省
    expect(findRegion('610100')?.name.en).toBe("Xi'an Shi"); // 西安市
    expect(findRegion('370783109')?.name.en).toBe('Hou Zhen'); // 侯镇
  });
});
