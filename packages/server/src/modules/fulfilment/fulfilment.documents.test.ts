import { describe, expect, it } from 'vitest';
import {
  chinaTime,
  CJK_FONT_PATH,
  labelsPdf,
  manifestCsv,
  requireFont,
  type ManifestData,
} from './fulfilment.documents.ts';

describe('printed documents', () => {
  it('answers 503 with what to install when the Chinese font is missing', () => {
    expect(() => requireFont('/nonexistent/wqy-microhei.ttc')).toThrow(
      expect.objectContaining({
        code: 'SERVICE_UNAVAILABLE',
        status: 503,
        message: expect.stringContaining('fonts-wqy-microhei') as unknown,
      }),
    );
    expect(() => requireFont(CJK_FONT_PATH)).not.toThrow();
  });

  it('writes a manifest CSV Excel reads: BOM, CRLF, quoted commas, totals in yuan', () => {
    const data: ManifestData = {
      pickupId: 'p',
      hubName: '集货站',
      hubAddress: '',
      carrier: 'sandbox',
      carrierRef: null,
      createdAt: new Date(0),
      lines: [
        {
          code: 'CB0000000001',
          trackingNumber: null,
          seller: '王家, 番茄',
          county: '寿光市',
          township: '化龙镇',
          items: 2,
          codAmountFen: 7960,
        },
        {
          code: 'CB0000000002',
          trackingNumber: 'SBXCB0000000002',
          seller: '李姐',
          county: '寿光市',
          township: '圣城街道',
          items: 1,
          codAmountFen: 0,
        },
      ],
    };
    expect(manifestCsv(data)).toBe(
      '\ufeffline,parcel_code,tracking_number,seller,recipient_county,recipient_township,items,cod_amount_cny\r\n' +
        '1,CB0000000001,,"王家, 番茄",寿光市,化龙镇,2,79.60\r\n' +
        '2,CB0000000002,SBXCB0000000002,李姐,寿光市,圣城街道,1,\r\n' +
        'TOTAL,2 parcels,,,,,3,79.60\r\n',
    );
  });

  it('keeps each label on its own A6 page however long the address and the items are', async () => {
    const long = '很长的名字'.repeat(12);
    const label = (i: number) => ({
      code: `CB${String(i).padStart(10, '0')}`,
      trackingUrl: `http://127.0.0.1:3000/orders/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`,
      trackingNumber: `SBXCB${String(i).padStart(10, '0')}`,
      recipient: { name: long.slice(0, 40), phone: '+86 138 0013 8000', address: long.repeat(3) },
      sender: { shopName: long, address: '山东省潍坊市寿光市化龙镇' },
      hub: { name: long, address: long },
      items: Array.from({ length: 12 }, (_, j) => ({
        title: `${long}${j}`,
        unit: '5斤/箱',
        quantity: j + 1,
      })),
      codAmountFen: 1_234_500,
    });
    const pdf = await labelsPdf([label(1), label(2), label(3)]);
    const text = pdf.toString('latin1');
    expect(text.match(/\/Type \/Page\b/g)).toHaveLength(3);
    expect(text.match(/\/MediaBox \[0 0 297\.64 419\.53\]/g)).toHaveLength(3);
  });
});

describe('chinaTime', () => {
  it('prints the wall-clock time in China, across midnight UTC', () => {
    expect(chinaTime(new Date('2026-11-25T15:54:00Z'))).toBe('2026-11-25 23:54 北京时间');
    expect(chinaTime(new Date('2026-11-25T16:05:00Z'))).toBe('2026-11-26 00:05 北京时间');
  });
});
