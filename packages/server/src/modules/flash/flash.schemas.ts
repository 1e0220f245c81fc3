import { LIMITS, PAYMENT_METHODS } from '@cunbo/shared';
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schema-helpers.ts';
import { Address } from '../orders/orders.schemas.ts';

/** Units in one offer, and fen in a price or discount: far above any real show, still bounded. */
const UNITS_MAX = 1_000_000;
const FEN_MAX = 100_000_000;

export const OfferBody = Type.Object(
  {
    productId: Uuid(),
    price: Type.Integer({ minimum: 1, maximum: FEN_MAX, description: 'Offer price in fen' }),
    quantity: Type.Integer({
      minimum: 1,
      maximum: UNITS_MAX,
      description: 'Units on offer, taken out of the product’s stock now',
    }),
    perBuyerLimit: Type.Integer({ minimum: 1, maximum: UNITS_MAX }),
    startsAt: Type.Optional(Timestamp('Default: now')),
    durationSeconds: Type.Integer({ minimum: 10, maximum: 3600 }),
    holdSeconds: Type.Optional(
      Type.Integer({
        minimum: 60,
        maximum: 3600,
        default: 300,
        description: 'How long an unpaid online order keeps its units',
      }),
    ),
  },
  { additionalProperties: false },
);

const OfferStatus = Type.Union([
  Type.Literal('scheduled'),
  Type.Literal('open'),
  Type.Literal('sold_out'),
  Type.Literal('ended'),
]);

export const OfferSchema = Type.Object({
  id: Uuid(),
  liveId: Uuid(),
  shopId: Uuid(),
  product: Type.Object({
    id: Uuid(),
    title: Type.String(),
    unit: Type.String(),
    photoUrl: Nullable(Type.String()),
  }),
  price: Type.Integer({ description: 'Offer price, fen' }),
  regularPrice: Type.Integer({ description: 'The product’s ordinary price, fen' }),
  currency: Type.String(),
  quantity: Type.Integer(),
  left: Type.Integer({ description: 'Units nobody holds or bought; goes up when a hold expires' }),
  perBuyerLimit: Type.Integer(),
  holdSeconds: Type.Integer(),
  startsAt: Timestamp(),
  endsAt: Timestamp(),
  status: OfferStatus,
  mine: Type.Optional(Type.Integer({ description: 'Units the signed-in viewer holds or bought' })),
});

export const ClaimBody = Type.Object(
  {
    quantity: Type.Integer({
      minimum: 1,
      maximum: LIMITS.quantityMax,
      description: '1..perBuyerLimit',
    }),
    shippingAddress: Address,
    paymentMethod: Type.Enum(PAYMENT_METHODS),
    couponId: Type.Optional(Uuid('A live coupon the buyer claimed for this shop')),
  },
  { additionalProperties: false },
);

export const ClaimOfferState = Type.Object({
  id: Uuid(),
  left: Type.Integer(),
  status: OfferStatus,
});

export const CouponBody = Type.Object(
  {
    discount: Type.Integer({ minimum: 1, maximum: FEN_MAX, description: 'Fen off the order' }),
    minSpend: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: FEN_MAX,
        default: 0,
        description: 'Fen the lines must reach',
      }),
    ),
    quota: Type.Integer({ minimum: 1, maximum: UNITS_MAX }),
    startsAt: Type.Optional(Timestamp('Default: now')),
    durationSeconds: Type.Integer({ minimum: 10, maximum: 86_400 }),
    usableHours: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 720,
        default: 72,
        description: 'A claimed coupon is usable this long after the hand-out ends',
      }),
    ),
  },
  { additionalProperties: false },
);

export const CouponSchema = Type.Object({
  id: Uuid(),
  liveId: Uuid(),
  shopId: Uuid(),
  discount: Type.Integer({ description: 'Fen off' }),
  minSpend: Type.Integer({ description: 'Fen' }),
  currency: Type.String(),
  quota: Type.Integer(),
  left: Type.Integer(),
  startsAt: Timestamp(),
  endsAt: Timestamp(),
  usableUntil: Timestamp(),
  status: Type.Union([
    Type.Literal('scheduled'),
    Type.Literal('open'),
    Type.Literal('gone'),
    Type.Literal('ended'),
  ]),
  claimed: Type.Optional(Type.Boolean({ description: 'The signed-in viewer has one' })),
});

export const MyCouponSchema = Type.Intersect([
  CouponSchema,
  Type.Object({ usedByOrderId: Nullable(Uuid()) }),
]);
