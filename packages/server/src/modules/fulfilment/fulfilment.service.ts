import { randomInt } from 'node:crypto';
import { AppError } from '@cunbo/shared';
import type { DomainEventBus } from '../../lib/domain-events.ts';
import { assertTransition } from '../../lib/state-machine.ts';
import type { Actor } from '../accounts/accounts.service.ts';
import {
  TRACKING_STEPS,
  type CarrierProvider,
  type TrackingEvent,
} from '../carriers/carrier-provider.ts';
import type { OrderRow, OrdersRepo, ShippingAddress } from '../orders/orders.repo.ts';
import { presentOrder, type OrderView } from '../orders/orders.service.ts';
import { ORDER_TRANSITIONS, type OrderStatus } from '../orders/orders.state.ts';
import { describeRegion, regionPath, type Locale } from '../regions/regions.service.ts';
import {
  labelsPdf,
  manifestCsv,
  manifestPdf,
  packingListCsv,
  packingListPdf,
  type LabelData,
  type ManifestData,
  type PackingListData,
} from './fulfilment.documents.ts';
import type { FulfilmentRepo, HubRow, ParcelDetail, PickupRow } from './fulfilment.repo.ts';

export interface ParcelView {
  id: string;
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

/** Most orders a board, a packing list or a hub page lists at once. */
export const FULFILMENT_LIST_MAX = 1000;
/** Most labels printed in one PDF. */
export const LABELS_MAX = 100;
const PICKUPS_SHOWN = 50;
/** A parcel code: `CB` and 10 letters or digits, printed as Code 128 (the schema's CHECK). */
const CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ';
const CODE_PATTERN = /^[A-Z0-9]{8,20}$/;

function newParcelCode(): string {
  let code = 'CB';
  for (let i = 0; i < 10; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

const regionName = (code: string, locale: Locale) => describeRegion(code, locale)?.fullName ?? code;

/** The township (9 digits) a shop's place belongs to; null for a county-level place. */
export const townshipOf = (regionCode: string) =>
  regionCode.length >= 9 ? regionCode.slice(0, 9) : null;

export function presentParcel(d: ParcelDetail, locale: Locale): ParcelView {
  const p = d.parcel;
  return {
    id: p.id,
    code: p.code,
    orderId: p.orderId,
    shopId: p.shopId,
    shopName: d.shopName,
    hubId: p.hubId,
    status: d.pickupStatus === 'handed_over' ? 'handed_over' : p.scannedInAt ? 'at_hub' : 'packed',
    pickupId: p.pickupId,
    trackingNumber: p.trackingNumber,
    carrier: d.carrier,
    recipient: {
      name: d.shippingAddress.name,
      regionCode: d.shippingAddress.regionCode,
      regionName: regionName(d.shippingAddress.regionCode, locale),
    },
    packedAt: p.packedAt.toISOString(),
    scannedInAt: p.scannedInAt?.toISOString() ?? null,
  };
}

export function presentHub(hub: HubRow, locale: Locale): HubView {
  return {
    id: hub.id,
    name: hub.name,
    regionCode: hub.regionCode,
    regionName: regionName(hub.regionCode, locale),
    address: hub.address,
  };
}

function presentPickup(pickup: PickupRow, parcels: number): PickupView {
  return {
    id: pickup.id,
    hubId: pickup.hubId,
    carrier: pickup.carrier,
    status: pickup.status,
    parcels,
    carrierRef: pickup.carrierRef,
    createdAt: pickup.createdAt.toISOString(),
    handedOverAt: pickup.handedOverAt?.toISOString() ?? null,
  };
}

const codOf = (d: { paymentMethod: string; totalFen: number }) =>
  d.paymentMethod === 'cod' ? d.totalFen : 0;

const fullAddress = (a: ShippingAddress) => `${regionName(a.regionCode, 'zh')}${a.line1}`;

/**
 * After the show: the seller's board and packing, labels, the township hub gathering the
 * parcels of all its sellers into one pickup, the carrier's tracking events, and the buyer's
 * timeline. Order statuses move only through the orders repo's `transition`, in the same
 * transaction as the parcel rows, and listeners hear `order.updated` after commit.
 */
export function createFulfilmentService(deps: {
  repo: FulfilmentRepo;
  orders: OrdersRepo;
  events: DomainEventBus;
  carriers: ReadonlyMap<string, CarrierProvider>;
  publicUrl: string;
}) {
  const { repo, events, carriers } = deps;

  async function orderView(id: string): Promise<OrderView> {
    const [order, items, payments] = await Promise.all([
      deps.orders.findOrder(id),
      deps.orders.itemsOf([id]),
      deps.orders.paymentsOf([id]),
    ]);
    return presentOrder(order!, items, payments);
  }

  async function changed(orderId: string, from: string): Promise<OrderView> {
    const order = await orderView(orderId);
    events.emit('order.updated', { order, from });
    return order;
  }

  function requireShop(actor: Actor): string {
    if (actor.user.role !== 'seller')
      throw new AppError('FORBIDDEN', 'Only a seller packs and prints labels', 403);
    if (!actor.user.shopId) throw new AppError('SHOP_REQUIRED', 'Open your shop first', 409);
    return actor.user.shopId;
  }

  /** The seller's own order; anyone else's is a 404. */
  async function sellersOrder(actor: Actor, id: string): Promise<OrderRow> {
    const shopId = requireShop(actor);
    const order = await deps.orders.findOrder(id);
    if (!order || order.shopId !== shopId) throw new AppError('NOT_FOUND', 'Order not found', 404);
    return order;
  }

  function requireOperator(actor: Actor): void {
    if (actor.user.role !== 'operator')
      throw new AppError('FORBIDDEN', 'Only a hub operator can do this', 403);
  }

  /** A hub the actor operates; another hub is a 404. */
  async function operatedHub(actor: Actor, hubId: string): Promise<HubRow> {
    requireOperator(actor);
    const hub = await repo.hubById(hubId);
    if (!hub || !(await repo.isOperatorOf(hub.id, actor.user.id)))
      throw new AppError('NOT_FOUND', 'Hub not found', 404);
    return hub;
  }

  async function operatedPickup(actor: Actor, pickupId: string) {
    requireOperator(actor);
    const pickup = await repo.pickupById(pickupId);
    if (!pickup || !(await repo.isOperatorOf(pickup.hubId, actor.user.id)))
      throw new AppError('NOT_FOUND', 'Pickup not found', 404);
    return { pickup, hub: (await repo.hubById(pickup.hubId))! };
  }

  /** Orders paid or confirmed, grouped per product (what to take from the shed) and per buyer. */
  async function toPack(shopId: string) {
    const rows = await repo.ordersToPack(shopId, FULFILMENT_LIST_MAX);
    const items = await repo.itemsOf(rows.map((r) => r.order.id));
    const byProduct = new Map<
      string,
      { productId: string; title: string; unit: string; quantity: number; orders: number }
    >();
    for (const item of items) {
      const p = byProduct.get(item.productId) ?? {
        productId: item.productId,
        title: item.title,
        unit: item.unit,
        quantity: 0,
        orders: 0,
      };
      p.quantity += item.quantity;
      p.orders += 1;
      byProduct.set(item.productId, p);
    }
    // One parcel per order, but one stop per buyer and address: grouped that way.
    const byBuyer = new Map<
      string,
      {
        buyerId: string;
        buyerName: string;
        address: ShippingAddress;
        orders: Array<{
          id: string;
          items: Array<{ title: string; unit: string; quantity: number }>;
          total: number;
          paymentMethod: string;
          status: OrderStatus;
        }>;
      }
    >();
    for (const { order, buyerName } of rows) {
      const a = order.shippingAddress;
      const key = JSON.stringify([order.buyerId, a.name, a.phone, a.regionCode, a.line1]);
      const group = byBuyer.get(key) ?? {
        buyerId: order.buyerId,
        buyerName,
        address: { name: a.name, phone: a.phone, regionCode: a.regionCode, line1: a.line1 },
        orders: [],
      };
      group.orders.push({
        id: order.id,
        items: items
          .filter((i) => i.orderId === order.id)
          .map((i) => ({ title: i.title, unit: i.unit, quantity: i.quantity })),
        total: order.totalFen,
        paymentMethod: order.paymentMethod,
        status: order.status as OrderStatus,
      });
      byBuyer.set(key, group);
    }
    return {
      byProduct: [...byProduct.values()].sort((a, b) => b.quantity - a.quantity),
      byBuyer: [...byBuyer.values()],
    };
  }

  async function labelData(details: ParcelDetail[]): Promise<LabelData[]> {
    const items = await repo.itemsOf(details.map((d) => d.parcel.orderId));
    return details.map((d) => ({
      code: d.parcel.code,
      trackingUrl: `${deps.publicUrl}/orders/${d.parcel.orderId}`,
      trackingNumber: d.parcel.trackingNumber,
      recipient: {
        name: d.shippingAddress.name,
        phone: d.shippingAddress.phone,
        address: fullAddress(d.shippingAddress),
      },
      sender: { shopName: d.shopName, address: regionName(d.shopRegionCode, 'zh') },
      hub: d.hubName !== null ? { name: d.hubName, address: d.hubAddress ?? '' } : null,
      items: items
        .filter((i) => i.orderId === d.parcel.orderId)
        .map((i) => ({ title: i.title, unit: i.unit, quantity: i.quantity })),
      codAmountFen: codOf(d),
    }));
  }

  async function manifestData(pickup: PickupRow, hub: HubRow): Promise<ManifestData> {
    const details = await repo.pickupParcels(pickup.id, FULFILMENT_LIST_MAX);
    const items = await repo.itemsOf(details.map((d) => d.parcel.orderId));
    return {
      pickupId: pickup.id,
      hubName: hub.name,
      hubAddress: hub.address,
      carrier: pickup.carrier,
      carrierRef: pickup.carrierRef,
      createdAt: pickup.createdAt,
      lines: details.map((d) => {
        const path = regionPath(d.shippingAddress.regionCode);
        return {
          code: d.parcel.code,
          trackingNumber: d.parcel.trackingNumber,
          seller: d.shopName,
          county: path.find((r) => r.level === 'county')?.name.zh ?? '',
          township: path.find((r) => r.level === 'township')?.name.zh ?? '',
          items: items
            .filter((i) => i.orderId === d.parcel.orderId)
            .reduce((n, i) => n + i.quantity, 0),
          codAmountFen: codOf(d),
        };
      }),
    };
  }

  return {
    // Seller.
    async board(actor: Actor, locale: Locale) {
      const shopId = requireShop(actor);
      const [pack, packed, counts] = await Promise.all([
        toPack(shopId),
        repo.shopPacked(shopId, FULFILMENT_LIST_MAX),
        repo.countByStatus(shopId),
      ]);
      const n = (s: OrderStatus) => counts[s] ?? 0;
      return {
        toPack: pack,
        packed: packed.map((d) => presentParcel(d, locale)),
        counts: {
          toPack: n('paid') + n('cod_confirmed'),
          packed: n('packed'),
          atHub: n('handed_to_hub'),
          inTransit: n('in_transit'),
          delivered: n('delivered'),
        },
      };
    },

    /**
     * Packed: the order moves to `packed` and gets its parcel (the code on its label) in one
     * transaction. Packing it again returns the same parcel.
     */
    async pack(actor: Actor, orderId: string, locale: Locale) {
      const order = await sellersOrder(actor, orderId);
      const existing = await repo.parcelOfOrder(order.id);
      if (existing)
        return { order: await orderView(order.id), parcel: presentParcel(existing, locale) };
      assertTransition(ORDER_TRANSITIONS, order.status as OrderStatus, 'packed', 'order');
      const shop = (await repo.findShop(order.shopId))!;
      const township = townshipOf(shop.regionCode);
      const hub = township ? await repo.hubByRegion(township) : null;
      const moved = await repo.inTransaction(async (tx) => {
        const code = newParcelCode();
        const done = await tx.orders.transition(order.id, order.status as OrderStatus, 'packed', {
          parcelCode: code,
          hubId: hub?.id ?? null,
        });
        if (!done) return false;
        await tx.insertParcel({
          orderId: order.id,
          shopId: order.shopId,
          hubId: hub?.id ?? null,
          code,
        });
        return true;
      });
      const parcel = await repo.parcelOfOrder(order.id);
      // Lost a race with a second tap on "Packed": the winner's parcel is the answer.
      if (!moved && !parcel)
        throw new AppError('CONFLICT', 'The order changed meanwhile, reload it', 409);
      const view = moved ? await changed(order.id, order.status) : await orderView(order.id);
      return { order: view, parcel: presentParcel(parcel!, locale) };
    },

    async orderLabel(actor: Actor, orderId: string): Promise<Buffer> {
      const order = await sellersOrder(actor, orderId);
      const parcel = await repo.parcelOfOrder(order.id);
      if (!parcel)
        throw new AppError('NOT_PACKED', 'Mark the order packed first: that makes its label', 409, {
          status: order.status,
        });
      return labelsPdf(await labelData([parcel]));
    },

    /** Labels of the given orders, or of every packed parcel not yet handed to a carrier. */
    async shopLabels(actor: Actor, orderIds: string[] | undefined): Promise<Buffer> {
      const shopId = requireShop(actor);
      let details: ParcelDetail[];
      if (orderIds) {
        if (orderIds.length > LABELS_MAX)
          throw new AppError('VALIDATION_FAILED', `At most ${LABELS_MAX} labels at once`, 400, {
            field: 'querystring.orderIds',
          });
        details = [];
        for (const id of new Set(orderIds)) {
          const order = await deps.orders.findOrder(id);
          if (!order || order.shopId !== shopId)
            throw new AppError('NOT_FOUND', 'Order not found', 404, { orderId: id });
          const parcel = await repo.parcelOfOrder(id);
          if (!parcel)
            throw new AppError('NOT_PACKED', 'Mark the order packed first', 409, { orderId: id });
          details.push(parcel);
        }
      } else {
        details = await repo.shopLabels(shopId, LABELS_MAX);
        if (details.length === 0)
          throw new AppError('NOT_PACKED', 'No packed parcels to label', 409);
      }
      return labelsPdf(await labelData(details));
    },

    async packingList(actor: Actor, format: 'pdf' | 'csv', now: Date) {
      const shopId = requireShop(actor);
      const shop = (await repo.findShop(shopId))!;
      const pack = await toPack(shopId);
      const data: PackingListData = {
        shopName: shop.name,
        byProduct: pack.byProduct,
        byBuyer: pack.byBuyer.map((b) => ({
          buyerName: b.buyerName,
          recipient: b.address.name,
          phone: b.address.phone,
          address: fullAddress(b.address),
          orders: b.orders.map((o) => ({
            id: o.id,
            items: o.items,
            codAmountFen: codOf({ paymentMethod: o.paymentMethod, totalFen: o.total }),
          })),
        })),
      };
      return format === 'pdf' ? packingListPdf(data, now) : packingListCsv(data);
    },

    // Hub operator.
    async myHubs(actor: Actor, locale: Locale) {
      requireOperator(actor);
      return (await repo.hubsOfOperator(actor.user.id)).map((h) => presentHub(h, locale));
    },

    async hub(actor: Actor, hubId: string, locale: Locale) {
      const hub = await operatedHub(actor, hubId);
      const [parcels, pickups] = await Promise.all([
        repo.hubParcels(hub, FULFILMENT_LIST_MAX),
        repo.pickupsOfHub(hub.id, PICKUPS_SHOWN),
      ]);
      const views = parcels.map((d) => presentParcel(d, locale));
      return {
        hub: presentHub(hub, locale),
        parcels: {
          expected: views.filter((p) => p.scannedInAt === null),
          atHub: views.filter((p) => p.scannedInAt !== null),
        },
        pickups: pickups.map((p) => presentPickup(p.pickup, p.parcels)),
      };
    },

    /** The hub scans a parcel's barcode as it arrives: the order is now at the hub. */
    async scan(actor: Actor, hubId: string, rawCode: string, locale: Locale) {
      const hub = await operatedHub(actor, hubId);
      const code = rawCode.trim().toUpperCase();
      const found = CODE_PATTERN.test(code) ? await repo.parcelByCode(code) : null;
      if (!found)
        throw new AppError('PARCEL_NOT_FOUND', 'No parcel has this code', 404, {
          field: 'body.code',
          code,
        });
      const ours =
        found.parcel.hubId === hub.id ||
        (found.parcel.hubId === null && townshipOf(found.shopRegionCode) === hub.regionCode);
      if (!ours)
        throw new AppError('WRONG_HUB', 'This parcel belongs to another township’s hub', 409, {
          code,
        });
      if (found.parcel.scannedInAt) {
        return {
          parcel: presentParcel(found, locale),
          order: await orderView(found.parcel.orderId),
          alreadyScanned: true,
        };
      }
      if (found.orderStatus !== 'packed') {
        throw new AppError(
          'INVALID_TRANSITION',
          `This order is ${found.orderStatus}: set the parcel aside, do not ship it`,
          409,
          { from: found.orderStatus, to: 'handed_to_hub', code },
        );
      }
      const moved = await repo.inTransaction(async (tx) => {
        if (!(await tx.markScanned(found.parcel.id, hub.id))) return false;
        if (
          !(await tx.orders.transition(found.parcel.orderId, 'packed', 'handed_to_hub', {
            parcelCode: code,
            hubId: hub.id,
            hubName: hub.name,
          }))
        )
          throw new AppError('CONFLICT', 'The order changed meanwhile, scan again', 409);
        return true;
      });
      const now = (await repo.parcelByCode(code))!;
      const order = moved
        ? await changed(now.parcel.orderId, 'packed')
        : await orderView(now.parcel.orderId);
      return { parcel: presentParcel(now, locale), order, alreadyScanned: !moved };
    },

    /** One consolidated pickup with every scanned-in parcel not yet in one, of all sellers. */
    async createPickup(actor: Actor, hubId: string, carrierId: string): Promise<PickupView> {
      const hub = await operatedHub(actor, hubId);
      if (!carriers.has(carrierId))
        throw new AppError('VALIDATION_FAILED', 'Unknown carrier', 422, { field: 'body.carrier' });
      return repo.inTransaction(async (tx) => {
        const pickup = await tx.insertPickup(hub.id, carrierId);
        const n = await tx.gatherParcels(pickup.id, hub.id);
        if (n === 0)
          throw new AppError('NOTHING_TO_PICK_UP', 'No scanned-in parcel is waiting', 409);
        return presentPickup(pickup, n);
      });
    },

    async manifest(actor: Actor, pickupId: string, format: 'pdf' | 'csv') {
      const { pickup, hub } = await operatedPickup(actor, pickupId);
      const data = await manifestData(pickup, hub);
      return format === 'pdf' ? manifestPdf(data) : manifestCsv(data);
    },

    /**
     * The carrier takes the pickup: it books every parcel (tracking numbers) and from then on
     * posts tracking events. Handing over twice returns the pickup as it is.
     */
    async handover(actor: Actor, pickupId: string): Promise<PickupView> {
      const { pickup, hub } = await operatedPickup(actor, pickupId);
      if (pickup.status === 'handed_over')
        return presentPickup(pickup, await repo.countPickupParcels(pickup.id));
      const carrier = carriers.get(pickup.carrier);
      if (!carrier)
        throw new AppError('SERVICE_UNAVAILABLE', 'This carrier is not configured', 503);
      const details = await repo.pickupParcels(pickup.id, FULFILMENT_LIST_MAX);
      if (details.length === 0)
        throw new AppError('NOTHING_TO_PICK_UP', 'Every parcel of this pickup was cancelled', 409);
      const items = await repo.itemsOf(details.map((d) => d.parcel.orderId));
      // Outside any transaction: a carrier's API must never hold our row locks.
      const booked = await carrier.createShipments(
        {
          id: pickup.id,
          hubId: hub.id,
          hubName: hub.name,
          hubAddress: hub.address,
          hubRegionCode: hub.regionCode,
        },
        details.map((d) => ({
          parcelId: d.parcel.id,
          code: d.parcel.code,
          recipient: {
            name: d.shippingAddress.name,
            phone: d.shippingAddress.phone,
            regionCode: d.shippingAddress.regionCode,
            address: fullAddress(d.shippingAddress),
          },
          codAmountFen: codOf(d),
          items: items
            .filter((i) => i.orderId === d.parcel.orderId)
            .reduce((n, i) => n + i.quantity, 0),
        })),
      );
      const done = await repo.inTransaction(async (tx) => {
        const updated = await tx.markHandedOver(pickup.id, booked.carrierRef);
        if (!updated) return null;
        for (const p of booked.parcels) await tx.setTrackingNumber(p.parcelId, p.trackingNumber);
        return updated;
      });
      const now = done ?? (await repo.pickupById(pickup.id))!;
      return presentPickup(now, await repo.countPickupParcels(pickup.id));
    },

    // Carrier callbacks.
    /**
     * Applies a carrier's tracking events in one transaction: each is written on the order's
     * timeline once (repeats are ignored), tells the buyer, and moves the order forward
     * (picked up: in transit; delivered: delivered), never backwards.
     */
    async applyTracking(
      carrierId: string,
      trackingEvents: TrackingEvent[],
    ): Promise<{ applied: number }> {
      const byNumber = new Map<string, ParcelDetail>();
      for (const e of trackingEvents) {
        if (byNumber.has(e.trackingNumber)) continue;
        const found = await repo.parcelByTracking(e.trackingNumber);
        if (!found || found.carrier !== carrierId)
          throw new AppError('NOT_FOUND', 'Unknown tracking number', 404, {
            trackingNumber: e.trackingNumber,
          });
        byNumber.set(e.trackingNumber, found);
      }
      const ordered = [...trackingEvents].sort(
        (a, b) =>
          TRACKING_STEPS.indexOf(a.step) - TRACKING_STEPS.indexOf(b.step) ||
          a.at.localeCompare(b.at),
      );
      const FORWARD: OrderStatus[] = ['handed_to_hub', 'in_transit', 'delivered'];
      const moved = await repo.inTransaction(async (tx) => {
        const touched = new Map<string, string>();
        for (const e of ordered) {
          if (!(await tx.recordReceipt(carrierId, e.eventId))) continue;
          const parcel = byNumber.get(e.trackingNumber)!;
          const order = (await tx.lockOrder(parcel.parcel.orderId))!;
          if (!touched.has(order.id)) touched.set(order.id, order.status);
          const data = {
            carrier: carrierId,
            trackingNumber: e.trackingNumber,
            eventId: e.eventId,
            ...(e.location !== undefined && { location: e.location }),
          };
          await tx.insertTrackingEvent(order.id, e.step, new Date(e.at), data);
          const target: OrderStatus = e.step === 'delivered' ? 'delivered' : 'in_transit';
          let at = FORWARD.indexOf(order.status as OrderStatus);
          // A cancelled or refunded order keeps its status; -1 never moves.
          while (at >= 0 && at < FORWARD.indexOf(target)) {
            if (!(await tx.orders.transition(order.id, FORWARD[at]!, FORWARD[at + 1]!, data)))
              throw new AppError('CONFLICT', 'The order changed meanwhile', 409);
            at += 1;
          }
          await tx.notify(order.buyerId, 'order.tracking', {
            orderId: order.id,
            step: e.step,
            shopName: parcel.shopName,
            parcelCode: parcel.parcel.code,
            ...data,
            at: e.at,
          });
        }
        return touched;
      });
      for (const [orderId, from] of moved) await changed(orderId, from);
      return { applied: moved.size };
    },

    // Buyer and seller.
    async timeline(actor: Actor, orderId: string, locale: Locale) {
      const order = await deps.orders.findOrder(orderId);
      const allowed =
        order !== null && (order.buyerId === actor.user.id || order.shopId === actor.user.shopId);
      if (!order || !allowed) throw new AppError('NOT_FOUND', 'Order not found', 404);
      const [rows, parcel] = await Promise.all([
        deps.orders.eventsOf(order.id),
        repo.parcelOfOrder(order.id),
      ]);
      return {
        events: rows.map((r) => ({
          kind: r.kind,
          code: r.code,
          at: r.at.toISOString(),
          data: r.data,
        })),
        parcel: parcel ? presentParcel(parcel, locale) : null,
      };
    },

    // Set-up (CLI, seed).
    /** Creates the township's hub, or returns the one it has. */
    async ensureHub(input: {
      regionCode: string;
      name: string;
      address?: string;
    }): Promise<HubRow> {
      const region = describeRegion(input.regionCode, 'zh');
      if (!region || region.level !== 'township')
        throw new AppError(
          'UNKNOWN_REGION',
          'A hub serves one township: give its 9-digit code',
          422,
          {
            field: 'regionCode',
          },
        );
      const made = await repo.createHub({
        regionCode: input.regionCode,
        name: input.name,
        address: input.address ?? '',
      });
      return made ?? (await repo.hubByRegion(input.regionCode))!;
    },

    async findHub(regionCode: string): Promise<HubRow | null> {
      return repo.hubByRegion(regionCode);
    },

    async attachOperator(hubId: string, userId: string, role: string): Promise<void> {
      if (role !== 'operator')
        throw new AppError('FORBIDDEN', 'Only an operator can run a hub', 403);
      await repo.addOperator(hubId, userId);
    },
  };
}

export type FulfilmentService = ReturnType<typeof createFulfilmentService>;
