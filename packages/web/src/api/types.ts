/** Shapes of the API's answers, as declared in packages/server/src/modules/*.schemas.ts. */
import type {
  CouponView,
  LiveStatus,
  OfferView,
  PinnedProductCard,
  ProductCategory,
} from '@cunbo/shared';

export type Locale = 'zh' | 'en' | 'it';
export type Role = 'buyer' | 'seller' | 'operator';
export type { LiveStatus, ProductCategory };
export type ProductCard = PinnedProductCard;

export interface User {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  locale: Locale;
  shopId: string | null;
  createdAt: string;
}

export interface SessionResponse {
  token: string;
  csrfToken: string;
  user: User;
}

export interface RegionView {
  code: string;
  name: string;
  fullName: string;
  /** The county, then the township or village: for cards and chips. */
  area: string;
}

export type RegionLevel = 'province' | 'prefecture' | 'county' | 'township' | 'village';

export interface RegionItem {
  code: string;
  level: RegionLevel;
  parentCode: string | null;
  name: string;
}

export interface RegionDetail {
  code: string;
  level: RegionLevel;
  name: string;
  fullName: string;
  path: Array<{ code: string; level: RegionLevel; name: string }>;
}

export interface Shop {
  id: string;
  ownerId: string;
  name: string;
  description: string;
  regionCode: string;
  region: RegionView | null;
  followers: number;
  createdAt: string;
}

export interface Photo {
  id: string;
  width: number;
  height: number;
  url: string;
}

export interface Product {
  id: string;
  shopId: string;
  title: string;
  description: string;
  unit: string;
  category: ProductCategory;
  price: number;
  traditionalPrice: number | null;
  currency: string;
  stock: number;
  status: 'active' | 'archived';
  photos: Photo[];
  createdAt: string;
  updatedAt: string;
}

export interface Live {
  id: string;
  title: string;
  status: LiveStatus;
  scheduledAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  shop: { id: string; name: string; regionCode: string; region: RegionView | null };
  pinnedProduct: ProductCard | null;
  products: ProductCard[];
  stats: { peakViewers: number; likes: number; chatLines: number };
  /** While live: where players get the video (WHEP; HLS once it is packaged). */
  playback?: { whep: string; hls: string | null } | null;
  /** After the end: the recording as HLS VOD with a chapter at each pinned product. */
  replay?: {
    hls: string;
    chapters: Array<{ at: number; productId: string; title: string }>;
    duration: number;
  } | null;
  /** A picture from the stream for lists; null until one was taken. */
  thumbnailUrl?: string | null;
  streamKey?: string;
  createdAt: string;
}

export type OrderStatus =
  | 'placed'
  | 'paid'
  | 'cod_confirmed'
  | 'packed'
  | 'handed_to_hub'
  | 'in_transit'
  | 'delivered'
  | 'cancelled'
  | 'refunded';

export type PaymentMethod = 'cod' | 'sandbox';

export interface OrderItem {
  productId: string;
  title: string;
  unit: string;
  quantity: number;
  price: number;
  subtotal: number;
}

export interface Payment {
  id: string;
  provider: string;
  status: 'pending' | 'succeeded' | 'failed' | 'refunded';
  payUrl: string | null;
}

export interface Order {
  id: string;
  status: OrderStatus;
  buyerId: string;
  shopId: string;
  liveId: string | null;
  items: OrderItem[];
  total: number;
  currency: string;
  paymentMethod: PaymentMethod | string;
  payment: Payment | null;
  shippingAddress: { name: string; phone: string; regionCode: string; line1: string };
  /** Online payment: when the units go back on sale if still unpaid. */
  holdExpiresAt?: string | null;
  /** Fen taken off by a live coupon (0 without one). */
  discount?: number;
  offerId?: string | null;
  couponId?: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SandboxPaymentPage {
  payment: { id: string; provider: string; status: string; amount: number; currency: string };
  order: Order;
}

// ---------- flash sales and live coupons ----------

/** Offers and coupons are declared once, with the live room's events, in @cunbo/shared. */
export type { CouponView, OfferView };
export type OfferStatus = OfferView['status'];
export type CouponStatus = CouponView['status'];

export interface OfferClaimResult {
  order: Order;
  offer: { id: string; left: number; status: OfferStatus };
}

export type MyCoupon = CouponView & { usedByOrderId: string | null };

export interface AppNotification {
  id: string;
  type: string;
  data: Record<string, unknown>;
  read: boolean;
  createdAt: string;
}

// ---------- after the show: board, parcels, township hubs, tracking ----------

export type ShippingAddress = Order['shippingAddress'];

export interface ParcelView {
  id: string;
  /** What the label's barcode and QR code carry and what the hub scans. */
  code: string;
  orderId: string;
  shopId: string;
  shopName: string;
  hubId: string | null;
  status: 'packed' | 'at_hub' | 'handed_over';
  pickupId: string | null;
  trackingNumber: string | null;
  carrier: string | null;
  recipient: { name: string; regionCode: string; regionName: string };
  packedAt: string;
  scannedInAt: string | null;
}

export interface BoardOrder {
  id: string;
  items: Array<{ title: string; unit: string; quantity: number }>;
  total: number;
  paymentMethod: PaymentMethod | string;
  status: OrderStatus;
}

export interface ShopBoard {
  toPack: {
    byProduct: Array<{
      productId: string;
      title: string;
      unit: string;
      quantity: number;
      orders: number;
    }>;
    byBuyer: Array<{
      buyerId: string;
      buyerName: string;
      address: ShippingAddress;
      orders: BoardOrder[];
    }>;
  };
  packed: ParcelView[];
  counts: { toPack: number; packed: number; atHub: number; inTransit: number; delivered: number };
}

export interface HubView {
  id: string;
  name: string;
  regionCode: string;
  regionName: string;
  address: string;
}

export interface PickupView {
  id: string;
  hubId: string;
  carrier: string;
  status: 'open' | 'handed_over';
  parcels: number;
  carrierRef: string | null;
  createdAt: string;
  handedOverAt: string | null;
}

export interface HubDetail {
  hub: HubView;
  parcels: { expected: ParcelView[]; atHub: ParcelView[] };
  pickups: PickupView[];
}

export interface ScanResponse {
  parcel: ParcelView;
  order: Order;
  alreadyScanned?: boolean;
}

export type TrackingStep = 'picked_up' | 'in_transit' | 'out_for_delivery' | 'delivered';

export interface TimelineEvent {
  kind: 'status' | 'tracking';
  /** An order status (kind `status`) or a tracking step (kind `tracking`). */
  code: string;
  at: string;
  data: Record<string, unknown>;
}

export interface OrderTimeline {
  events: TimelineEvent[];
  parcel: ParcelView | null;
}
