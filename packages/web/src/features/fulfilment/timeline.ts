import type { OrderStatus, TimelineEvent } from '../../api/types.ts';

/** The parcel's road, from the order to the buyer's door, as the order page draws it. */
export const TIMELINE_STEPS = [
  'placed',
  'confirmed',
  'packed',
  'handed_to_hub',
  'picked_up',
  'in_transit',
  'out_for_delivery',
  'delivered',
] as const;
export type TimelineStep = (typeof TIMELINE_STEPS)[number];

export interface StepView {
  step: TimelineStep;
  /** When it happened (the first event that reached it); null when not reached or unknown. */
  at: string | null;
  state: 'done' | 'current' | 'todo';
  /** Where the carrier saw the parcel, when it said. */
  location: string | null;
}

export interface TimelineView {
  steps: StepView[];
  /** Cancelled or refunded: the road stops here. */
  stopped: { status: 'cancelled' | 'refunded'; at: string } | null;
  /** Whether the money step is "paid" or "cash on delivery confirmed". */
  confirmedAs: 'paid' | 'cod_confirmed' | null;
}

/** Which step an event reaches; null for events that are not on the road. */
export function stepOfEvent(event: Pick<TimelineEvent, 'kind' | 'code'>): TimelineStep | null {
  if (event.kind === 'tracking') {
    switch (event.code) {
      case 'picked_up':
      case 'in_transit':
      case 'out_for_delivery':
      case 'delivered':
        return event.code;
      default:
        return null;
    }
  }
  switch (event.code as OrderStatus) {
    case 'placed':
      return 'placed';
    case 'paid':
    case 'cod_confirmed':
      return 'confirmed';
    case 'packed':
      return 'packed';
    case 'handed_to_hub':
      return 'handed_to_hub';
    // The order goes on the road when the carrier picks the parcel up.
    case 'in_transit':
      return 'picked_up';
    case 'delivered':
      return 'delivered';
    default:
      return null;
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);

/**
 * The stepper from the timeline's events. Carriers may report out of order: a later step
 * reached means every earlier one is done, even if its own event came later or never came.
 */
export function buildTimeline(
  events: readonly TimelineEvent[],
  order: { createdAt: string; status: OrderStatus },
): TimelineView {
  const sorted = [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const first = new Map<TimelineStep, TimelineEvent>();
  const where = new Map<TimelineStep, string>();
  let confirmedAs: TimelineView['confirmedAs'] = null;
  let stopped: TimelineView['stopped'] = null;
  for (const e of sorted) {
    if (e.kind === 'status' && (e.code === 'cancelled' || e.code === 'refunded'))
      stopped = { status: e.code, at: e.at };
    if (e.kind === 'status' && (e.code === 'paid' || e.code === 'cod_confirmed'))
      confirmedAs ??= e.code;
    const step = stepOfEvent(e);
    if (!step) continue;
    if (!first.has(step)) first.set(step, e);
    // The status change and the carrier's event for one step come together; only the carrier says where.
    const location = str(e.data.location);
    if (location && !where.has(step)) where.set(step, location);
  }
  if (order.status === 'cancelled' || order.status === 'refunded')
    stopped ??= { status: order.status, at: order.createdAt };

  let reached = 0; // the order exists: "placed" is always reached
  TIMELINE_STEPS.forEach((s, i) => {
    if (first.has(s)) reached = Math.max(reached, i);
  });
  const steps = TIMELINE_STEPS.map((step, i): StepView => {
    const event = first.get(step);
    return {
      step,
      at: event?.at ?? (step === 'placed' ? order.createdAt : null),
      state:
        i < reached || (i === reached && (step === 'delivered' || stopped))
          ? 'done'
          : i === reached
            ? 'current'
            : 'todo',
      location: where.get(step) ?? null,
    };
  });
  return { steps, stopped, confirmedAs };
}

/** Newest first, for the "what happened" list under the stepper. */
export function newestFirst(events: readonly TimelineEvent[]): TimelineEvent[] {
  return [...events].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

/**
 * What happened, newest first, each thing once: a status change the carrier's event caused
 * (it carries that event's id) is already told by the carrier's own line.
 */
export function logEntries(events: readonly TimelineEvent[]): TimelineEvent[] {
  return newestFirst(
    events.filter((e) => !(e.kind === 'status' && typeof e.data.eventId === 'string')),
  );
}
