import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schema-helpers.ts';
import { OrderSchema, OrderStatusSchema } from '../orders/orders.schemas.ts';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

/** A binary body: a Buffer for the handler, `format: binary` for OpenAPI. */
const Binary = () => Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

export const pdfResponse = (description: string) => ({
  200: { description, content: { 'application/pdf': { schema: Binary() } } },
});
export const csvResponse = (description: string) => ({
  200: {
    description: `${description} (UTF-8 with BOM, CRLF)`,
    content: { 'text/csv': { schema: Type.String() } },
  },
});

const Address = Type.Object({
  name: Type.String(),
  phone: Type.String(),
  regionCode: Type.String(),
  line1: Type.String(),
});

export const ParcelSchema = Type.Object({
  id: Uuid(),
  code: Type.String({ description: 'What the label’s barcode carries and the hub scans' }),
  orderId: Uuid(),
  shopId: Uuid(),
  shopName: Type.String(),
  hubId: Nullable(Uuid('null: the shop’s township has no hub yet')),
  status: Type.Union([Type.Literal('packed'), Type.Literal('at_hub'), Type.Literal('handed_over')]),
  pickupId: Nullable(Uuid()),
  trackingNumber: Nullable(Type.String()),
  carrier: Nullable(Type.String()),
  recipient: Type.Object({
    name: Type.String(),
    regionCode: Type.String(),
    regionName: Type.String({ description: 'Full region name in the request’s language' }),
  }),
  packedAt: Timestamp(),
  scannedInAt: Nullable(Timestamp()),
});

export const HubSchema = Type.Object({
  id: Uuid(),
  name: Type.String(),
  regionCode: Type.String({ description: 'The township (9 digits) whose sellers it serves' }),
  regionName: Type.String(),
  address: Type.String(),
});

export const PickupSchema = Type.Object({
  id: Uuid(),
  hubId: Uuid(),
  carrier: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('handed_over')]),
  parcels: Type.Integer(),
  carrierRef: Nullable(Type.String()),
  createdAt: Timestamp(),
  handedOverAt: Nullable(Timestamp()),
});

const Line = Type.Object({ title: Type.String(), unit: Type.String(), quantity: Type.Integer() });

export const BoardSchema = Type.Object({
  toPack: Type.Object({
    byProduct: Type.Array(
      Type.Object({
        productId: Uuid(),
        title: Type.String(),
        unit: Type.String(),
        quantity: Type.Integer({ description: 'Units to pack over all orders' }),
        orders: Type.Integer(),
      }),
    ),
    byBuyer: Type.Array(
      Type.Object({
        buyerId: Uuid(),
        buyerName: Type.String(),
        address: Address,
        orders: Type.Array(
          Type.Object({
            id: Uuid(),
            items: Type.Array(Line),
            total: Type.Integer({ description: 'In fen' }),
            paymentMethod: Type.String(),
            status: OrderStatusSchema,
          }),
        ),
      }),
    ),
  }),
  packed: Type.Array(ParcelSchema, { description: 'Packed parcels the hub has not scanned yet' }),
  counts: Type.Object({
    toPack: Type.Integer(),
    packed: Type.Integer(),
    atHub: Type.Integer(),
    inTransit: Type.Integer(),
    delivered: Type.Integer(),
  }),
});

export const PackResponse = Type.Object({ order: OrderSchema, parcel: ParcelSchema });

export const LabelsQuery = Type.Object({
  orderIds: Type.Optional(
    Type.String({
      pattern: `^${UUID}(,${UUID}){0,99}$`,
      maxLength: 3800,
      description:
        'Comma-separated order ids, at most 100. Default: every packed parcel not yet handed to a carrier',
    }),
  ),
});

export const HubDetailSchema = Type.Object({
  hub: HubSchema,
  parcels: Type.Object({
    expected: Type.Array(ParcelSchema, {
      description: 'Packed by the township’s sellers, not scanned in yet',
    }),
    atHub: Type.Array(ParcelSchema, {
      description: 'Scanned in, not in a pickup handed to a carrier',
    }),
  }),
  pickups: Type.Array(PickupSchema, { description: 'The latest 50, newest first' }),
});

export const ScanBody = Type.Object(
  {
    code: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'The parcel code read off the label’s barcode (case and spaces ignored)',
    }),
  },
  { additionalProperties: false },
);

export const ScanResponse = Type.Object({
  parcel: ParcelSchema,
  order: OrderSchema,
  alreadyScanned: Type.Boolean({ description: 'true: it was scanned in before; nothing changed' }),
});

export const PickupBody = Type.Object(
  {
    carrier: Type.String({
      minLength: 1,
      maxLength: 40,
      description: '`sandbox`: the built-in one',
    }),
  },
  { additionalProperties: false },
);

export const TimelineSchema = Type.Object({
  events: Type.Array(
    Type.Object({
      kind: Type.Union([Type.Literal('status'), Type.Literal('tracking')]),
      code: Type.String({
        description:
          'The order status (kind status) or the tracking step: picked_up, in_transit, out_for_delivery, delivered',
      }),
      at: Timestamp(),
      data: Type.Record(Type.String(), Type.Unknown()),
    }),
  ),
  parcel: Nullable(ParcelSchema),
});
