import { LIMITS } from '@cunbo/shared';

export const ACCEPT = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'image/heic',
  'image/heif',
  'image/avif',
];

/** Checked before upload so a farmer on a slow uplink does not wait to hear "too large". */
export function photoProblem(file: {
  size: number;
  type: string;
  name: string;
}): 'tooLarge' | 'wrongType' | null {
  if (file.size > LIMITS.photoBytesMax) return 'tooLarge';
  const typeOk =
    ACCEPT.includes(file.type) ||
    (file.type === '' && /\.(jpe?g|png|webp|heic|heif|avif)$/i.test(file.name));
  return typeOk ? null : 'wrongType';
}
