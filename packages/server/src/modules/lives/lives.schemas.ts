import { LIMITS } from '@cunbo/shared';
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schema-helpers.ts';
import { Category, RegionCode, RegionSchema } from '../catalog/catalog.schemas.ts';

export const ProductCardSchema = Type.Object({
  id: Uuid(),
  title: Type.String(),
  unit: Type.String(),
  price: Type.Integer(),
  currency: Type.String(),
  traditionalPrice: Nullable(Type.Integer()),
  stock: Type.Integer(),
  photoUrl: Nullable(Type.String()),
});

export const LiveStatusSchema = Type.Union([Type.Literal('scheduled'), Type.Literal('live'), Type.Literal('ended')]);

export const LiveSchema = Type.Object({
  id: Uuid(),
  title: Type.String(),
  status: LiveStatusSchema,
  scheduledAt: Nullable(Timestamp()),
  startedAt: Nullable(Timestamp()),
  endedAt: Nullable(Timestamp()),
  shop: Type.Object({ id: Uuid(), name: Type.String(), regionCode: Type.String(), region: Nullable(RegionSchema) }),
  pinnedProduct: Nullable(ProductCardSchema),
  products: Type.Array(ProductCardSchema),
  stats: Type.Object({ peakViewers: Type.Integer(), likes: Type.Integer(), chatLines: Type.Integer() }),
  playback: Nullable(
    Type.Object(
      {
        whep: Type.String({ description: 'WebRTC playback (WHEP): POST an SDP offer here' }),
        hls: Nullable(Type.String({ description: 'HLS playlist; null until HLS packaging is available' })),
      },
      { description: 'While the show is live; null otherwise' },
    ),
  ),
  streamKey: Type.Optional(Type.String({ description: 'Only for the host' })),
  createdAt: Timestamp(),
});

export const LiveBody = Type.Object(
  {
    title: Type.String({ minLength: 1, maxLength: LIMITS.liveTitleMax, pattern: '\\S' }),
    scheduledAt: Type.Optional(Timestamp('When the show is planned to start')),
    productIds: Type.Array(Uuid(), { maxItems: LIMITS.liveProductsMax, default: [] }),
  },
  { additionalProperties: false },
);

export const PinBody = Type.Object(
  { productId: Nullable(Uuid('The product to explain now; null unpins')) },
  { additionalProperties: false },
);

export const LiveQuery = Type.Object({
  status: Type.Optional(LiveStatusSchema),
  region: Type.Optional(RegionCode),
  category: Type.Optional(Category),
  shopId: Type.Optional(Uuid()),
  followed: Type.Optional(Type.Boolean({ description: 'Only shops I follow' })),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 30 }),
  lang: Type.Optional(Type.String()),
});
