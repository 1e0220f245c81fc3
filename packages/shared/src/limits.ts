/** Limits that both the server and the web app enforce. */
export const LIMITS = {
  chatTextMax: 200,
  emailMax: 254,
  passwordMin: 8,
  passwordMax: 128,
  displayNameMax: 60,
  shopNameMax: 80,
  shopDescriptionMax: 2000,
  productTitleMax: 120,
  productDescriptionMax: 4000,
  productUnitMax: 20,
  /** 1,000,000 yuan in fen: far above any produce price, far below integer overflow. */
  priceFenMax: 100_000_000,
  stockMax: 1_000_000,
  quantityMax: 999,
  orderItemsMax: 20,
  liveTitleMax: 120,
  liveProductsMax: 50,
  addressNameMax: 60,
  addressLineMax: 200,
  phoneMax: 20,
  idempotencyKeyMax: 200,
  photoBytesMax: 8 * 1024 * 1024,
  photosPerProductMax: 9,
  /** A WebSocket frame larger than this is dropped. */
  wsFrameBytesMax: 4096,
  missedEventsMax: 500,
} as const;

export const CURRENCY = 'CNY';

export const PRODUCT_CATEGORIES = [
  'fruit',
  'vegetables',
  'grain',
  'meat',
  'eggs_dairy',
  'seafood',
  'tea',
  'honey',
  'nuts',
  'mushrooms',
  'handicraft',
  'other',
] as const;
export type ProductCategory = (typeof PRODUCT_CATEGORIES)[number];

export const PAYMENT_METHODS = ['cod', 'sandbox'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
