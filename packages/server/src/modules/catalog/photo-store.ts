import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { AppError } from '@cunbo/shared';

/** Widths served to phones and desktops; the client picks with `?w=`. */
export const PHOTO_WIDTHS = [320, 640, 1280] as const;
export type PhotoWidth = (typeof PHOTO_WIDTHS)[number];
const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'heif', 'avif', 'gif']);

export interface PhotoStore {
  /** Decodes, strips metadata (a farmer's photo can carry GPS) and writes each width as WebP. */
  save(id: string, input: Buffer): Promise<{ width: number; height: number }>;
  read(id: string, width: PhotoWidth): Promise<Buffer | null>;
  remove(id: string): Promise<void>;
}

export function createPhotoStore(dataDir: string): PhotoStore {
  const root = path.join(dataDir, 'photos');
  const dirOf = (id: string) => path.join(root, id.slice(0, 2), id);
  return {
    async save(id, input) {
      let meta: Metadata;
      try {
        meta = await sharp(input, { limitInputPixels: 40_000_000 }).metadata();
      } catch {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'This file is not a photo we can read', 415, {
          field: 'file',
        });
      }
      if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) {
        throw new AppError(
          'UNSUPPORTED_MEDIA_TYPE',
          'Send a JPEG, PNG, WebP, HEIC or AVIF photo',
          415,
          {
            field: 'file',
            format: meta.format ?? null,
          },
        );
      }
      const dir = dirOf(id);
      await mkdir(dir, { recursive: true });
      let size = { width: 0, height: 0 };
      for (const width of PHOTO_WIDTHS) {
        const { data, info } = await sharp(input, { limitInputPixels: 40_000_000 })
          .rotate()
          .resize({ width, withoutEnlargement: true })
          .webp({ quality: 78 })
          .toBuffer({ resolveWithObject: true });
        await writeFile(path.join(dir, `${width}.webp`), data);
        size = { width: info.width, height: info.height };
      }
      return size;
    },
    async read(id, width) {
      try {
        return await readFile(path.join(dirOf(id), `${width}.webp`));
      } catch {
        return null;
      }
    },
    async remove(id) {
      await rm(dirOf(id), { recursive: true, force: true });
    },
  };
}
