import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../api/types.ts';
import { buildTimeline, logEntries, newestFirst, stepOfEvent } from './timeline.ts';

const at = (minute: number) => new Date(Date.UTC(2026, 10, 25, 8, minute)).toISOString();
const status = (code: string, minute: number): TimelineEvent => ({
  kind: 'status',
  code,
  at: at(minute),
  data: {},
});
const tracking = (code: string, minute: number, data: Record<string, unknown> = {}) =>
  ({ kind: 'tracking', code, at: at(minute), data }) as TimelineEvent;

const stateOf = (view: ReturnType<typeof buildTimeline>) =>
  Object.fromEntries(view.steps.map((s) => [s.step, s.state]));

describe('the parcel timeline', () => {
  it('maps status changes and carrier steps onto one road', () => {
    expect(stepOfEvent({ kind: 'status', code: 'cod_confirmed' })).toBe('confirmed');
    expect(stepOfEvent({ kind: 'status', code: 'paid' })).toBe('confirmed');
    // The order goes in_transit when the carrier picks the parcel up.
    expect(stepOfEvent({ kind: 'status', code: 'in_transit' })).toBe('picked_up');
    expect(stepOfEvent({ kind: 'tracking', code: 'in_transit' })).toBe('in_transit');
    expect(stepOfEvent({ kind: 'tracking', code: 'out_for_delivery' })).toBe('out_for_delivery');
    expect(stepOfEvent({ kind: 'status', code: 'cancelled' })).toBeNull();
    expect(stepOfEvent({ kind: 'tracking', code: 'lost_in_space' })).toBeNull();
  });

  it('a new cash-on-delivery order is placed and confirmed, the rest to come', () => {
    const view = buildTimeline([status('cod_confirmed', 0)], {
      createdAt: at(0),
      status: 'cod_confirmed',
    });
    expect(view.confirmedAs).toBe('cod_confirmed');
    expect(view.steps[0]).toMatchObject({ step: 'placed', at: at(0), state: 'done' });
    expect(view.steps[1]).toMatchObject({ step: 'confirmed', at: at(0), state: 'current' });
    expect(view.steps.slice(2).every((s) => s.state === 'todo' && s.at === null)).toBe(true);
  });

  it('walks to delivered with a time on every step, the last one done', () => {
    const events = [
      status('placed', 0),
      status('paid', 1),
      status('packed', 10),
      status('handed_to_hub', 30),
      status('in_transit', 40),
      tracking('picked_up', 40, { location: '化龙镇集货站' }),
      tracking('in_transit', 41),
      tracking('out_for_delivery', 42),
      tracking('delivered', 43),
      status('delivered', 43),
    ];
    const view = buildTimeline(events, { createdAt: at(0), status: 'delivered' });
    expect(view.steps.every((s) => s.state === 'done' && s.at !== null)).toBe(true);
    expect(view.steps.find((s) => s.step === 'picked_up')).toMatchObject({
      at: at(40),
      location: '化龙镇集货站',
    });
    expect(view.confirmedAs).toBe('paid');
    expect(view.stopped).toBeNull();
  });

  it('a later step reported first still marks every earlier step done', () => {
    // The carrier's "out for delivery" arrived, its "in transit" never did.
    const view = buildTimeline(
      [
        status('cod_confirmed', 0),
        status('packed', 5),
        status('handed_to_hub', 6),
        tracking('out_for_delivery', 9),
        tracking('picked_up', 10),
      ],
      { createdAt: at(0), status: 'in_transit' },
    );
    const states = stateOf(view);
    expect(states.in_transit).toBe('done');
    expect(states.out_for_delivery).toBe('current');
    expect(states.delivered).toBe('todo');
    expect(view.steps.find((s) => s.step === 'in_transit')?.at).toBeNull();
  });

  it('keeps the first time a step was reached when it is reported twice', () => {
    const view = buildTimeline(
      [status('cod_confirmed', 0), tracking('picked_up', 3), status('in_transit', 2)],
      { createdAt: at(0), status: 'in_transit' },
    );
    expect(view.steps.find((s) => s.step === 'picked_up')?.at).toBe(at(2));
  });

  it('a cancelled order stops where it was, nothing current', () => {
    const view = buildTimeline([status('cod_confirmed', 0), status('cancelled', 4)], {
      createdAt: at(0),
      status: 'cancelled',
    });
    expect(view.stopped).toEqual({ status: 'cancelled', at: at(4) });
    expect(Object.values(stateOf(view))).not.toContain('current');
    expect(stateOf(view).confirmed).toBe('done');
    expect(stateOf(view).packed).toBe('todo');
  });

  it('lists what happened newest first without touching the input', () => {
    const events = [status('placed', 0), tracking('picked_up', 9), status('packed', 5)];
    expect(newestFirst(events).map((e) => e.code)).toEqual(['picked_up', 'packed', 'placed']);
    expect(events.map((e) => e.code)).toEqual(['placed', 'picked_up', 'packed']);
  });

  it('tells each thing once: a status change caused by a carrier event is that event', () => {
    const carried = { carrier: 'sandbox', eventId: 'ev-1' };
    const events: TimelineEvent[] = [
      status('handed_to_hub', 1),
      { kind: 'tracking', code: 'picked_up', at: at(2), data: carried },
      { kind: 'status', code: 'in_transit', at: at(2), data: carried },
      { kind: 'status', code: 'cancelled', at: at(3), data: {} },
    ];
    expect(logEntries(events).map((e) => `${e.kind}:${e.code}`)).toEqual([
      'status:cancelled',
      'tracking:picked_up',
      'status:handed_to_hub',
    ]);
  });
});
