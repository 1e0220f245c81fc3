import type { IncomingHttpHeaders } from 'node:http';

/** The steps a parcel goes through once a carrier has it, in this order. */
export const TRACKING_STEPS = ['picked_up', 'in_transit', 'out_for_delivery', 'delivered'] as const;
export type TrackingStep = (typeof TRACKING_STEPS)[number];

/** One tracking event, whatever carrier sent it, in Cunbo's words. */
export interface TrackingEvent {
  /** The carrier's id for this event: a repeated callback carries the same one. */
  eventId: string;
  trackingNumber: string;
  step: TrackingStep;
  /** ISO 8601, when it happened at the carrier. */
  at: string;
  /** Where, in the carrier's words (a sorting centre, a town). */
  location?: string;
}

/** What a carrier gets when a hub hands a pickup over. */
export interface ShipmentPickup {
  id: string;
  hubId: string;
  hubName: string;
  hubAddress: string;
  hubRegionCode: string;
}

export interface ShipmentParcel {
  parcelId: string;
  code: string;
  recipient: { name: string; phone: string; regionCode: string; address: string };
  /** Cash the courier collects on delivery, fen; 0 when paid online. */
  codAmountFen: number;
  items: number;
}

export interface CreatedShipments {
  /** The carrier's reference for the whole pickup (a waybill batch, a pickup order). */
  carrierRef: string;
  parcels: Array<{ parcelId: string; trackingNumber: string }>;
}

/**
 * A carrier (an express company). Cunbo books the consolidated pickup with
 * `createShipments`, and the carrier posts tracking events to
 * `POST /api/v1/carriers/:id/callback`, which `verifyCallback` authenticates and translates.
 * The built-in `sandbox` carrier is one; a real one (SF Express, Cainiao…) implements the same
 * three members: see docs/fulfilment.md.
 */
export interface CarrierProvider {
  readonly id: string;
  /**
   * Books every parcel of the pickup. Must be safe to call again for the same pickup (the
   * handover may be retried): the same pickup gets the same tracking numbers.
   */
  createShipments(pickup: ShipmentPickup, parcels: ShipmentParcel[]): Promise<CreatedShipments>;
  /**
   * Checks the callback is the carrier's (signature, freshness) and returns its events.
   * Throws AppError INVALID_SIGNATURE (401) or VALIDATION_FAILED (400).
   */
  verifyCallback(headers: IncomingHttpHeaders, rawBody: string): TrackingEvent[];
}
