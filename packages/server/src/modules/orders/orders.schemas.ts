import { LIMITS, PAYMENT_METHODS } from '@cunbo/shared';
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schema-helpers.ts';
import { RegionCode } from '../catalog/catalog.schemas.ts';
import { ORDER_STATUSES } from './orders.state.ts';

export const OrderStatusSchema = Type.Enum(ORDER_STATUSES);
const PaymentMethodSchema = Type.Enum(PAYMENT_METHODS, {
  description:
    '`cod`: cash on delivery; `sandbox`: the built-in test provider (where Alipay or WeChat Pay plug in)',
});

export const Address = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: LIMITS.addressNameMax, pattern: '\\S' }),
    phone: Type.String({ pattern: '^\\+?[0-9][0-9 -]{4,18}[0-9]$', maxLength: LIMITS.phoneMax }),
    regionCode: RegionCode,
    line1: Type.String({ minLength: 1, maxLength: LIMITS.addressLineMax, pattern: '\\S' }),
  },
  { additionalProperties: false },
);

export const OrderBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        { productId: Uuid(), quantity: Type.Integer({ minimum: 1, maximum: LIMITS.quantityMax }) },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: LIMITS.orderItemsMax },
    ),
    shippingAddress: Address,
    paymentMethod: PaymentMethodSchema,
    liveId: Type.Optional(Uuid('The live show or replay the order came from')),
    couponId: Type.Optional(
      Uuid('A live coupon the buyer claimed for this shop (`GET /me/coupons`)'),
    ),
  },
  { additionalProperties: false },
);

export const OrderHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: LIMITS.idempotencyKeyMax,
      description: 'Required. A retry with the same key returns the same order.',
    }),
  ),
});

export const OrderSchema = Type.Object({
  id: Uuid(),
  status: OrderStatusSchema,
  buyerId: Uuid(),
  shopId: Uuid(),
  liveId: Nullable(Uuid()),
  items: Type.Array(
    Type.Object({
      productId: Uuid(),
      title: Type.String(),
      unit: Type.String(),
      quantity: Type.Integer(),
      price: Type.Integer({ description: 'Unit price in fen when ordered' }),
      subtotal: Type.Integer(),
    }),
  ),
  total: Type.Integer({ description: 'In fen: the lines less `discount`' }),
  discount: Type.Integer({ description: 'Fen taken off by a live coupon' }),
  currency: Type.String(),
  paymentMethod: Type.String(),
  offerId: Nullable(Uuid('The flash offer the order was won in')),
  couponId: Nullable(Uuid('The live coupon used')),
  holdExpiresAt: Nullable(
    Timestamp('While unpaid (`placed`): when the order is cancelled and its units go back on sale'),
  ),
  payment: Nullable(
    Type.Object({
      id: Uuid(),
      provider: Type.String(),
      status: Type.Union([
        Type.Literal('pending'),
        Type.Literal('succeeded'),
        Type.Literal('failed'),
        Type.Literal('refunded'),
      ]),
      payUrl: Nullable(
        Type.String({ description: 'Where the buyer pays, while the payment is pending' }),
      ),
    }),
  ),
  shippingAddress: Type.Object({
    name: Type.String(),
    phone: Type.String(),
    regionCode: Type.String(),
    line1: Type.String(),
  }),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
});

export const OrderQuery = Type.Object({
  as: Type.Optional(
    Type.Union([Type.Literal('buyer'), Type.Literal('seller')], {
      description: 'Default: seller for sellers, buyer otherwise',
    }),
  ),
  status: Type.Optional(OrderStatusSchema),
  liveId: Type.Optional(Uuid()),
  before: Type.Optional(Timestamp('Orders placed before this time (paging)')),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 30 }),
});
