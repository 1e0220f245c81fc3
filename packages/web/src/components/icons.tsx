/**
 * A few line icons as inline SVG. Emoji look different (or are missing) on old phones, these
 * do not. All decorative: the text next to them carries the meaning.
 */
type IconName = 'eye' | 'bag' | 'bell' | 'cart' | 'pin' | 'home' | 'basket' | 'heart' | 'sprout';

const PATHS: Record<IconName, string> = {
  eye: 'M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12Zm10 3a3 3 0 1 0 0-6 3 3 0 0 0 0 6Z',
  bag: 'M6 7h12l1 14H5L6 7Zm3 0V6a3 3 0 0 1 6 0v1',
  bell: 'M6 16V11a6 6 0 1 1 12 0v5l2 2H4l2-2Zm4 4a2 2 0 0 0 4 0',
  cart: 'M3 4h2l2.4 11h10.2L20 8H6.2M9 20a1 1 0 1 0 0-2 1 1 0 0 0 0 2Zm8 0a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z',
  pin: 'M12 22s7-6.2 7-12a7 7 0 1 0-14 0c0 5.8 7 12 7 12Zm0-9a3 3 0 1 0 0-6 3 3 0 0 0 0 6Z',
  home: 'M3 11 12 4l9 7v9H3v-9Zm6 9v-6h6v6',
  basket: 'M3 10h18l-2 10H5L3 10Zm4 0 4-6m6 6-4-6',
  heart: 'M12 21s-8-5.3-8-11a4.5 4.5 0 0 1 8-2.8A4.5 4.5 0 0 1 20 10c0 5.7-8 11-8 11Z',
  sprout: 'M12 21v-9m0 0c0-4-3-7-8-7 0 4 3 7 8 7Zm0 0c0-3 2.5-6 7-6 0 3.5-2.5 6-7 6Z',
};

export function Icon({
  name,
  size = 20,
  filled = false,
  className,
}: {
  name: IconName;
  size?: number;
  filled?: boolean;
  className?: string;
}) {
  return (
    <svg
      className={['icon', className].filter(Boolean).join(' ')}
      width={size}
      height={size}
      viewBox="0 0 24 24"
      fill={filled ? 'currentColor' : 'none'}
      stroke="currentColor"
      strokeWidth={filled ? 0 : 2}
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={PATHS[name]} />
    </svg>
  );
}
