/**
 * The clock drawn into the publisher's picture and read back off the viewer's: a grid of
 * black and white cells carrying the low 32 bits of `Date.now()` and a CRC-8 over them.
 * Cells are big (about a ninth of the width), so the code survives H.264 at a few hundred kbit/s and
 * any scaling the encoder chooses; a frame whose CRC does not match (a picture decoded
 * half-broken) is not counted. No DOM here: the pages draw and sample, this file decides.
 */

export const COLUMNS = 8;
export const ROWS = 5;
const VALUE_BITS = 32;
const CRC_BITS = 8;
export const CELLS = COLUMNS * ROWS;
if (CELLS !== VALUE_BITS + CRC_BITS) throw new Error('the grid must hold value + CRC');

/** Where the grid sits in the frame, as shares of its width and height. */
export const GRID = { left: 0.04, top: 0.05, width: 0.92, height: 0.62 } as const;

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** The cell's rectangle in a frame of `width` × `height` pixels, row by row. */
export function cellRect(index: number, width: number, height: number): Rect {
  const col = index % COLUMNS;
  const row = Math.floor(index / COLUMNS);
  const w = (GRID.width * width) / COLUMNS;
  const h = (GRID.height * height) / ROWS;
  return { x: GRID.left * width + col * w, y: GRID.top * height + row * h, w, h };
}

/** The middle half of a cell: what the reader averages, away from blurred edges. */
export function sampleRect(index: number, width: number, height: number): Rect {
  const r = cellRect(index, width, height);
  return { x: r.x + r.w / 4, y: r.y + r.h / 4, w: r.w / 2, h: r.h / 2 };
}

/** CRC-8 (polynomial 0x07) over the value's four bytes, most significant first. */
export function crc8(value: number): number {
  let crc = 0;
  for (let shift = 24; shift >= 0; shift -= 8) {
    crc ^= (value >>> shift) & 0xff;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  }
  return crc;
}

/** The cells for a wall-clock time: true is white. */
export function encodeClock(epochMs: number): boolean[] {
  const value = (epochMs % 2 ** VALUE_BITS) >>> 0;
  const crc = crc8(value);
  const cells: boolean[] = [];
  for (let bit = VALUE_BITS - 1; bit >= 0; bit--) cells.push(((value >>> bit) & 1) === 1);
  for (let bit = CRC_BITS - 1; bit >= 0; bit--) cells.push(((crc >> bit) & 1) === 1);
  return cells;
}

/**
 * The wall-clock time in the cells (mean luma of each, 0–255), or null when the CRC does not
 * match. The 32 bits wrap every 49.7 days: the time nearest to `nowMs` is the one meant.
 */
export function decodeClock(lumas: readonly number[], nowMs: number): number | null {
  if (lumas.length !== CELLS) return null;
  let value = 0;
  let crc = 0;
  lumas.forEach((luma, i) => {
    const bit = luma >= 128 ? 1 : 0;
    if (i < VALUE_BITS) value = (value * 2 + bit) >>> 0;
    else crc = (crc << 1) | bit;
  });
  if (crc8(value) !== crc) return null;
  const span = 2 ** VALUE_BITS;
  const base = nowMs - (nowMs % span);
  const candidates = [base - span + value, base + value, base + span + value];
  return candidates.reduce((best, c) => (Math.abs(c - nowMs) < Math.abs(best - nowMs) ? c : best));
}
