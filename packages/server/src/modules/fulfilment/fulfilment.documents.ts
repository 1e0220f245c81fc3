import { existsSync } from 'node:fs';
import { AppError } from '@cunbo/shared';
import bwipjs from 'bwip-js/node';
import { stringify } from 'csv-stringify/sync';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';

/**
 * Printed paper: shipping labels (A6, one per page, Code 128 + QR), the seller's packing
 * list and the hub's pickup manifest (A4), and their CSV twins. Chinese first: addresses and
 * names are Chinese, so the CJK font is required (Debian's fonts-wqy-microhei).
 */

export const CJK_FONT_PATH = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const CJK_FONT_NAME = 'WenQuanYiMicroHei';

export interface LabelData {
  code: string;
  /** What the QR code opens: the buyer's order page with the parcel's timeline. */
  trackingUrl: string;
  trackingNumber: string | null;
  recipient: { name: string; phone: string; address: string };
  sender: { shopName: string; address: string };
  hub: { name: string; address: string } | null;
  items: Array<{ title: string; unit: string; quantity: number }>;
  /** Cash to collect on delivery, fen; 0 when paid online. */
  codAmountFen: number;
}

export interface PackingListData {
  shopName: string;
  byProduct: Array<{ title: string; unit: string; quantity: number; orders: number }>;
  byBuyer: Array<{
    buyerName: string;
    recipient: string;
    phone: string;
    address: string;
    orders: Array<{
      id: string;
      items: Array<{ title: string; unit: string; quantity: number }>;
      codAmountFen: number;
    }>;
  }>;
}

export interface ManifestData {
  pickupId: string;
  hubName: string;
  hubAddress: string;
  carrier: string;
  carrierRef: string | null;
  createdAt: Date;
  lines: Array<{
    code: string;
    trackingNumber: string | null;
    seller: string;
    county: string;
    township: string;
    items: number;
    codAmountFen: number;
  }>;
}

export const yuan = (fen: number) => (fen / 100).toFixed(2);

/** "2026-11-25 23:54 北京时间": the time the hub, the seller and the courier read on a wall clock. */
export function chinaTime(at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const v = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${v('year')}-${v('month')}-${v('day')} ${v('hour')}:${v('minute')} 北京时间`;
}

/** Throws a clear 503 when the Chinese font is not installed: nothing readable can be printed. */
export function requireFont(fontPath = CJK_FONT_PATH): void {
  if (!existsSync(fontPath)) {
    throw new AppError(
      'SERVICE_UNAVAILABLE',
      'Printing needs the Chinese font fonts-wqy-microhei on the server: run `bash scripts/ensure-system-deps.sh fonts-wqy-microhei`',
      503,
      { font: fontPath },
    );
  }
}

/** A PDFKit document whose bytes resolve once it is ended. */
function newDocument(size: 'A6' | 'A4', title: string, margin: number) {
  requireFont();
  const doc = new PDFDocument({
    size,
    margin,
    autoFirstPage: false,
    info: { Title: title, Creator: 'Cunbo', Producer: 'Cunbo' },
  });
  doc.registerFont('cjk', CJK_FONT_PATH, CJK_FONT_NAME);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const bytes = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  return { doc, bytes };
}

/**
 * Draws a Code 128 barcode as vectors (bwip-js's SVG paths): crisp on any printer, and the
 * hub's scanner reads the bars, not a resampled picture.
 */
function drawBarcode(doc: PDFKit.PDFDocument, text: string, x: number, y: number, width: number) {
  const svg = bwipjs.toSVG({ bcid: 'code128', text, height: 14, includetext: true, textsize: 11 });
  const box = /viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(svg);
  if (!box) throw new Error('bwip-js gave an SVG without a viewBox');
  const scale = width / Number(box[1]);
  doc.save().translate(x, y).scale(scale);
  for (const [, attrs] of svg.matchAll(/<path ([^>]*)\/>/g)) {
    const d = /\bd="([^"]+)"/.exec(attrs!)?.[1];
    if (!d) continue;
    const stroke = /stroke-width="([\d.]+)"/.exec(attrs!)?.[1];
    if (stroke) doc.path(d).lineWidth(Number(stroke)).stroke('#000');
    else doc.path(d).fill('#000');
  }
  doc.restore();
  return Number(box[2]) * scale;
}

/** Draws a QR code module by module, one rectangle per run of dark modules. */
function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, size: number) {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const m = size / (n + 2); // one module of quiet zone on each side
  doc.save();
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n;) {
      if (!modules.get(r, c)) {
        c += 1;
        continue;
      }
      let end = c;
      while (end < n && modules.get(r, end)) end += 1;
      doc.rect(x + (c + 1) * m, y + (r + 1) * m, (end - c) * m, m);
      c = end;
    }
  }
  doc.fill('#000').restore();
}

/** A6 labels (105 × 148 mm), one parcel per page, for thermal label printers. */
export async function labelsPdf(labels: LabelData[]): Promise<Buffer> {
  const { doc, bytes } = newDocument(
    'A6',
    `Cunbo labels ${labels.map((l) => l.code).join(' ')}`,
    14,
  );
  for (const label of labels) {
    // Many labels take a while: let other requests in between pages.
    await new Promise((resolve) => setImmediate(resolve));
    doc.addPage();
    const left = doc.page.margins.left;
    const width = doc.page.width - left - doc.page.margins.right;
    doc.font('cjk');
    doc.fontSize(9).fillColor('#000');
    doc.text('村播 Cunbo', left, 12, { width: width / 2 });
    doc.text(label.hub ? `集货站：${label.hub.name}` : '集货站：未设', left + width / 2, 12, {
      width: width / 2,
      align: 'right',
    });
    let y = 28 + drawBarcode(doc, label.code, left + 10, 28, width - 20) + 4;
    doc
      .moveTo(left, y)
      .lineTo(left + width, y)
      .stroke();
    y += 5;
    doc.fontSize(8).text('收件人', left, y);
    doc.fontSize(13).text(`${label.recipient.name}  ${label.recipient.phone}`, left, y + 10, {
      width,
    });
    doc.fontSize(10).text(label.recipient.address, left, doc.y + 2, { width, height: 40 });
    y = Math.max(doc.y, y + 60) + 4;
    doc
      .moveTo(left, y)
      .lineTo(left + width, y)
      .stroke();
    y += 5;
    doc.fontSize(8).text('寄件人', left, y);
    doc.fontSize(9).text(`${label.sender.shopName}  ${label.sender.address}`, left, y + 10, {
      width,
      height: 24,
    });
    y = doc.y + 4;
    doc
      .moveTo(left, y)
      .lineTo(left + width, y)
      .stroke();
    y += 5;
    const qrSize = 76;
    const textWidth = width - qrSize - 8;
    doc.fontSize(8).text('内件', left, y, { width: textWidth });
    const shown = label.items.slice(0, 5);
    doc.fontSize(9);
    for (const item of shown) {
      doc.text(`${item.title}（${item.unit}）× ${item.quantity}`, left, doc.y + 1, {
        width: textWidth,
        height: 12,
        ellipsis: true,
      });
    }
    if (label.items.length > shown.length)
      doc.text(`另有 ${label.items.length - shown.length} 种`, left, doc.y + 1);
    drawQr(doc, label.trackingUrl, left + width - qrSize, y, qrSize);
    const bottom = doc.page.height - 14 - 34;
    if (label.codAmountFen > 0) {
      doc.rect(left, bottom, width, 30).lineWidth(1.5).stroke().lineWidth(1);
      doc.fontSize(15).text(`货到付款  代收 ¥${yuan(label.codAmountFen)}`, left, bottom + 7, {
        width,
        align: 'center',
      });
    } else {
      doc.fontSize(10).text('已在线付款  无需代收', left, bottom + 9, { width, align: 'center' });
    }
    if (label.trackingNumber)
      doc.fontSize(7).text(`运单号 ${label.trackingNumber}`, left, bottom - 10, { width });
  }
  doc.end();
  return bytes;
}

/** A4 pages with a running cursor: starts a new page when the next line would not fit. */
function a4Writer(title: string) {
  const { doc, bytes } = newDocument('A4', title, 40);
  doc.addPage();
  doc.font('cjk');
  const left = 40;
  const width = doc.page.width - 80;
  const room = (h: number) => {
    if (doc.y + h > doc.page.height - 50) {
      doc.addPage();
      doc.font('cjk');
      doc.y = 40;
    }
  };
  const row = (
    cells: Array<{ text: string; width: number; align?: 'left' | 'right' }>,
    size = 9,
  ) => {
    room(16);
    const y = doc.y;
    let x = left;
    doc.fontSize(size);
    for (const cell of cells) {
      doc.text(cell.text, x, y, {
        width: cell.width - 4,
        height: 14,
        ellipsis: true,
        align: cell.align ?? 'left',
      });
      x += cell.width;
    }
    doc.y = y + 15;
  };
  const rule = () => {
    doc
      .moveTo(left, doc.y)
      .lineTo(left + width, doc.y)
      .stroke();
    doc.y += 3;
  };
  return { doc, bytes, left, width, room, row, rule };
}

export async function packingListPdf(data: PackingListData, printedAt: Date): Promise<Buffer> {
  const w = a4Writer(`Cunbo packing list ${data.shopName}`);
  const { doc, left, width } = w;
  doc.fontSize(16).text(`打包清单 · ${data.shopName}`, left, 40, { width });
  doc.fontSize(9).text(`打印时间 ${chinaTime(printedAt)}`);
  doc.moveDown();
  doc.fontSize(12).text('按商品（一共要备的货）');
  doc.moveDown(0.3);
  const cols = [width * 0.55, width * 0.2, width * 0.25];
  w.row([
    { text: '商品', width: cols[0]! },
    { text: '数量', width: cols[1]!, align: 'right' },
    { text: '订单数', width: cols[2]!, align: 'right' },
  ]);
  w.rule();
  for (const p of data.byProduct) {
    w.row([
      { text: `${p.title}（${p.unit}）`, width: cols[0]! },
      { text: String(p.quantity), width: cols[1]!, align: 'right' },
      { text: String(p.orders), width: cols[2]!, align: 'right' },
    ]);
  }
  if (data.byProduct.length === 0) w.row([{ text: '没有要打包的订单', width }]);
  doc.moveDown();
  w.room(40);
  doc.fontSize(12).text('按买家（每个包裹装什么）', left);
  doc.moveDown(0.3);
  for (const buyer of data.byBuyer) {
    w.room(50);
    doc
      .fontSize(10)
      .text(`${buyer.recipient}  ${buyer.phone}（${buyer.buyerName}）`, left, doc.y, { width });
    doc.fontSize(9).text(buyer.address, left, doc.y, { width });
    for (const order of buyer.orders) {
      const cod = order.codAmountFen > 0 ? `  货到付款 ¥${yuan(order.codAmountFen)}` : '';
      w.row([
        {
          text: `□ 订单 ${order.id.slice(0, 8)}：${order.items.map((i) => `${i.title}（${i.unit}）× ${i.quantity}`).join('，')}${cod}`,
          width,
        },
      ]);
    }
    w.rule();
  }
  doc.end();
  return w.bytes;
}

const csv = (rows: Array<Record<string, string | number>>, columns: string[]) =>
  // The BOM makes Excel (what most co-operatives open CSVs with) read UTF-8 Chinese right.
  `\ufeff${stringify(rows, { header: true, columns, record_delimiter: 'windows' })}`;

export function packingListCsv(data: PackingListData): string {
  const rows: Array<Record<string, string | number>> = [];
  for (const buyer of data.byBuyer) {
    for (const order of buyer.orders) {
      for (const item of order.items) {
        rows.push({
          order_id: order.id,
          recipient: buyer.recipient,
          phone: buyer.phone,
          address: buyer.address,
          product: item.title,
          unit: item.unit,
          quantity: item.quantity,
          cod_amount_cny: order.codAmountFen > 0 ? yuan(order.codAmountFen) : '',
        });
      }
    }
  }
  return csv(rows, [
    'order_id',
    'recipient',
    'phone',
    'address',
    'product',
    'unit',
    'quantity',
    'cod_amount_cny',
  ]);
}

export function manifestTotals(data: ManifestData) {
  return {
    parcels: data.lines.length,
    items: data.lines.reduce((n, l) => n + l.items, 0),
    codAmountFen: data.lines.reduce((n, l) => n + l.codAmountFen, 0),
    codParcels: data.lines.filter((l) => l.codAmountFen > 0).length,
  };
}

export function manifestCsv(data: ManifestData): string {
  const totals = manifestTotals(data);
  const rows: Array<Record<string, string | number>> = data.lines.map((l, i) => ({
    line: i + 1,
    parcel_code: l.code,
    tracking_number: l.trackingNumber ?? '',
    seller: l.seller,
    recipient_county: l.county,
    recipient_township: l.township,
    items: l.items,
    cod_amount_cny: l.codAmountFen > 0 ? yuan(l.codAmountFen) : '',
  }));
  rows.push({
    line: 'TOTAL',
    parcel_code: `${totals.parcels} parcels`,
    tracking_number: '',
    seller: '',
    recipient_county: '',
    recipient_township: '',
    items: totals.items,
    cod_amount_cny: yuan(totals.codAmountFen),
  });
  return csv(rows, [
    'line',
    'parcel_code',
    'tracking_number',
    'seller',
    'recipient_county',
    'recipient_township',
    'items',
    'cod_amount_cny',
  ]);
}

export async function manifestPdf(data: ManifestData): Promise<Buffer> {
  const w = a4Writer(`Cunbo pickup manifest ${data.pickupId}`);
  const { doc, left, width } = w;
  const totals = manifestTotals(data);
  doc.fontSize(16).text(`集货交接单 · ${data.hubName}`, left, 40, { width });
  doc
    .fontSize(9)
    .text(
      `地址 ${data.hubAddress || '—'}    承运商 ${data.carrier}${data.carrierRef ? `（${data.carrierRef}）` : ''}`,
    )
    .text(`交接单号 ${data.pickupId}    建单时间 ${chinaTime(data.createdAt)}`);
  doc.moveDown();
  const cols = [0.05, 0.17, 0.17, 0.2, 0.2, 0.08, 0.13].map((f) => f * width);
  const header = ['#', '包裹码', '运单号', '卖家', '收件县/乡镇', '件数', '代收(元)'];
  w.row(header.map((text, i) => ({ text, width: cols[i]!, align: i >= 5 ? 'right' : 'left' })));
  w.rule();
  data.lines.forEach((l, i) => {
    const cells = [
      String(i + 1),
      l.code,
      l.trackingNumber ?? '',
      l.seller,
      `${l.county}${l.township}`,
      String(l.items),
      l.codAmountFen > 0 ? yuan(l.codAmountFen) : '',
    ];
    w.row(cells.map((text, c) => ({ text, width: cols[c]!, align: c >= 5 ? 'right' : 'left' })));
  });
  w.rule();
  w.row([
    { text: `合计 ${totals.parcels} 个包裹`, width: cols.slice(0, 5).reduce((a, b) => a + b, 0) },
    { text: String(totals.items), width: cols[5]!, align: 'right' },
    { text: yuan(totals.codAmountFen), width: cols[6]!, align: 'right' },
  ]);
  doc.moveDown(2);
  w.room(60);
  doc
    .fontSize(10)
    .text('集货站签字：____________        承运商签字：____________        日期：__________', left);
  doc.end();
  return w.bytes;
}
