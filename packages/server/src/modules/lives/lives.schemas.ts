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

export const LiveStatusSchema = Type.Union([
  Type.Literal('scheduled'),
  Type.Literal('live'),
  Type.Literal('ended'),
]);

export const LiveSchema = Type.Object({
  id: Uuid(),
  title: Type.String(),
  status: LiveStatusSchema,
  scheduledAt: Nullable(Timestamp()),
  startedAt: Nullable(Timestamp()),
  endedAt: Nullable(Timestamp()),
  shop: Type.Object({
    id: Uuid(),
    name: Type.String(),
    regionCode: Type.String(),
    region: Nullable(RegionSchema),
  }),
  pinnedProduct: Nullable(ProductCardSchema),
  products: Type.Array(ProductCardSchema),
  stats: Type.Object({
    peakViewers: Type.Integer(),
    likes: Type.Integer(),
    chatLines: Type.Integer(),
  }),
  playback: Nullable(
    Type.Object(
      {
        whep: Type.String({ description: 'WebRTC playback (WHEP): POST an SDP offer here' }),
        hls: Nullable(
          Type.String({
            description:
              'Low-latency HLS live playlist (fMP4, H.264 + Opus); null while the host is not publishing. For players that cannot use WebRTC, and when WHEP answers 503',
          }),
        ),
      },
      { description: 'While the show is live; null otherwise' },
    ),
  ),
  thumbnailUrl: Nullable(
    Type.String({
      description: 'JPEG grabbed from the stream (every 30 s while live); null until there is one',
    }),
  ),
  replay: Nullable(
    Type.Object(
      {
        hls: Type.String({ description: 'HLS VOD playlist of the whole show' }),
        chapters: Type.Array(
          Type.Object({
            at: Type.Number({ description: 'Seconds from the start of the replay' }),
            productId: Uuid(),
            title: Type.String(),
          }),
          { description: 'One at each product the host pinned, in order' },
        ),
        duration: Type.Number({ description: 'Seconds' }),
      },
      { description: 'After the show ended, when it was recorded; null otherwise' },
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
