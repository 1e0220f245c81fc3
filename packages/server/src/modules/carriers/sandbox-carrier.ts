import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '@cunbo/shared';
import type { Jobs } from '../../lib/jobs.ts';
import { countyOf } from '../regions/regions.service.ts';
import {
  TRACKING_STEPS,
  type CarrierProvider,
  type TrackingEvent,
  type TrackingStep,
} from './carrier-provider.ts';

export const SANDBOX_CARRIER_SIGNATURE_HEADER = 'x-sandbox-carrier-signature';
const TOLERANCE_SECONDS = 300;
const QUEUE = 'carrier-sandbox-step';
/** One callback carries at most this many events, like real carriers' batch pushes. */
const MAX_EVENTS = 500;

export function signSandboxCarrier(secret: string, timestamp: number, rawBody: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

interface StepJob {
  carrierRef: string;
  /** Index in TRACKING_STEPS of the step this job announces. */
  step: number;
  parcels: Array<{ trackingNumber: string; destination: string }>;
  hubName: string;
}

/**
 * A carrier that lives inside Cunbo, for development, demos and tests. It behaves like a real
 * one: booking returns tracking numbers, then the parcels' tracking events arrive later as
 * signed HTTP POSTs to the public callback URL, one step every `stepSeconds`, retried with
 * backoff while Cunbo does not answer 2xx.
 */
export function createSandboxCarrier(deps: {
  secret: string;
  jobs: Jobs;
  /** Where the events are posted: `${publicUrl}/api/v1/carriers/sandbox/callback`. */
  callbackUrl: string;
  stepSeconds: number;
  timeoutMs: number;
  now?: () => number;
}): CarrierProvider {
  const now = deps.now ?? (() => Date.now());
  const later = () => new Date(now() + deps.stepSeconds * 1000);

  // Each step posts, then queues the next one: the steps of a parcel arrive in order.
  deps.jobs.define<StepJob>(
    QUEUE,
    async (job) => {
      const step = TRACKING_STEPS[job.step]!;
      const at = new Date(now()).toISOString();
      const events: TrackingEvent[] = job.parcels.map((p) => ({
        eventId: `${job.carrierRef}:${p.trackingNumber}:${step}`,
        trackingNumber: p.trackingNumber,
        step,
        at,
        ...locationOf(step, job.hubName, p.destination),
      }));
      const body = JSON.stringify({ events });
      const res = await fetch(deps.callbackUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SANDBOX_CARRIER_SIGNATURE_HEADER]: signSandboxCarrier(
            deps.secret,
            Math.floor(now() / 1000),
            body,
          ),
        },
        body,
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
      if (!res.ok) throw new Error(`tracking callback answered ${res.status}: ${await res.text()}`);
      if (job.step + 1 < TRACKING_STEPS.length) {
        await deps.jobs.send<StepJob>(
          QUEUE,
          { ...job, step: job.step + 1 },
          { startAfter: later() },
        );
      }
    },
    { retryLimit: 12, retryDelaySeconds: 1, retryBackoff: true, expireInSeconds: 60 },
  );

  return {
    id: 'sandbox',

    async createShipments(pickup, parcels) {
      // Derived from our ids: booking the same pickup again gives the same numbers.
      const carrierRef = `SBX${pickup.id.replace(/-/g, '').slice(0, 12).toUpperCase()}`;
      const booked = parcels.map((p) => ({ parcelId: p.parcelId, trackingNumber: `SBX${p.code}` }));
      for (let i = 0; i < parcels.length; i += MAX_EVENTS) {
        await deps.jobs.send<StepJob>(
          QUEUE,
          {
            carrierRef,
            step: 0,
            hubName: pickup.hubName,
            parcels: parcels.slice(i, i + MAX_EVENTS).map((p) => ({
              trackingNumber: `SBX${p.code}`,
              destination: countyOf(p.recipient.regionCode)?.name.zh ?? '',
            })),
          },
          { startAfter: later() },
        );
      }
      return { carrierRef, parcels: booked };
    },

    verifyCallback(headers, rawBody) {
      const header = headers[SANDBOX_CARRIER_SIGNATURE_HEADER];
      const match = typeof header === 'string' ? /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) : null;
      const invalid = () =>
        new AppError(
          'INVALID_SIGNATURE',
          'The tracking callback is not signed by the carrier',
          401,
        );
      if (!match) throw invalid();
      const timestamp = Number(match[1]);
      if (Math.abs(now() / 1000 - timestamp) > TOLERANCE_SECONDS) throw invalid();
      const expected = Buffer.from(signSandboxCarrier(deps.secret, timestamp, rawBody));
      const given = Buffer.from(header as string);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
      return parseEvents(rawBody);
    },
  };
}

function locationOf(step: TrackingStep, hubName: string, destination: string) {
  if (step === 'picked_up') return { location: hubName };
  if (step === 'out_for_delivery' && destination) return { location: destination };
  return {};
}

function parseEvents(rawBody: string): TrackingEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new AppError('MALFORMED_JSON', 'The tracking callback is not JSON', 400);
  }
  const events = (parsed as { events?: unknown } | null)?.events;
  const bad = (why: string) => new AppError('VALIDATION_FAILED', why, 400);
  if (!Array.isArray(events) || events.length === 0 || events.length > MAX_EVENTS)
    throw bad(`The callback carries 1 to ${MAX_EVENTS} events`);
  return events.map((e: unknown, i) => {
    const ev = (e ?? {}) as Record<string, unknown>;
    const text = (v: unknown, max: number) =>
      typeof v === 'string' && v.length > 0 && v.length <= max;
    if (
      !text(ev.eventId, 200) ||
      !text(ev.trackingNumber, 60) ||
      !TRACKING_STEPS.includes(ev.step as TrackingStep) ||
      !text(ev.at, 40) ||
      Number.isNaN(Date.parse(ev.at as string)) ||
      (ev.location !== undefined && !text(ev.location, 200))
    ) {
      throw bad(`events.${i} lacks eventId, trackingNumber, step or at`);
    }
    return {
      eventId: ev.eventId as string,
      trackingNumber: ev.trackingNumber as string,
      step: ev.step as TrackingStep,
      at: new Date(ev.at as string).toISOString(),
      ...(ev.location !== undefined && { location: ev.location as string }),
    };
  });
}
