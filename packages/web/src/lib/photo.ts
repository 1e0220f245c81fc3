/** Widths the server renders photos at (`/api/v1/photos/:id?w=`). */
export const PHOTO_WIDTHS = [320, 640, 1280] as const;

/** The same photo at another width; keeps any other query parameters. */
export function photoAt(url: string, width: number): string {
  const [path, query = ''] = url.split('?', 2) as [string, string?];
  const params = new URLSearchParams(query);
  params.set('w', String(width));
  return `${path}?${params.toString()}`;
}

/** `srcset` for a product photo, so a phone on mobile data loads the small one. */
export function photoSrcSet(url: string): string {
  return PHOTO_WIDTHS.map((w) => `${photoAt(url, w)} ${w}w`).join(', ');
}
