import { describe, expect, it } from 'vitest';
import type { JobHandler, Jobs } from '../../lib/jobs.ts';
import {
  createSandboxCarrier,
  SANDBOX_CARRIER_SIGNATURE_HEADER,
  signSandboxCarrier,
} from './sandbox-carrier.ts';

const SECRET = 'a'.repeat(64);
const NOW = Date.UTC(2026, 10, 25, 8, 0, 0);

/** Records what the carrier queues; the queue itself is pg-boss, tested in lib/jobs.test.ts. */
function recordingJobs() {
  const sent: Array<{ name: string; data: object; startAfter?: Date }> = [];
  const handlers = new Map<string, JobHandler<object>>();
  const jobs: Jobs = {
    define: (name, handler) => void handlers.set(name, handler as JobHandler<object>),
    send: async (name, data, options) => {
      sent.push({ name, data, startAfter: options?.startAfter });
      return String(sent.length);
    },
    start: async () => {},
    stop: async () => {},
  };
  return { jobs, sent, handlers };
}

function carrier(stepSeconds = 60) {
  const r = recordingJobs();
  const c = createSandboxCarrier({
    secret: SECRET,
    jobs: r.jobs,
    callbackUrl: 'http://127.0.0.1:9/api/v1/carriers/sandbox/callback',
    stepSeconds,
    timeoutMs: 1000,
    now: () => NOW,
  });
  return { carrier: c, ...r };
}

const event = {
  eventId: 'e1',
  trackingNumber: 'SBXCB0000000001',
  step: 'picked_up',
  at: '2026-11-25T08:00:00.000Z',
};
const signed = (body: string, t = NOW / 1000, secret = SECRET) => ({
  [SANDBOX_CARRIER_SIGNATURE_HEADER]: signSandboxCarrier(secret, t, body),
});

describe('sandbox carrier', () => {
  it('books a pickup with stable tracking numbers and queues the first step a step later', async () => {
    const { carrier: c, sent } = carrier(60);
    const pickup = {
      id: '0b6f4c1e-7d7a-4c2e-9a47-3f0c2a1b9e11',
      hubId: 'h',
      hubName: '化龙镇电商集货站',
      hubAddress: '',
      hubRegionCode: '370783100',
    };
    const parcel = {
      parcelId: 'p1',
      code: 'CB0000000001',
      recipient: { name: '陈晓', phone: '13800138000', regionCode: '370783100', address: '…' },
      codAmountFen: 0,
      items: 1,
    };
    const first = await c.createShipments(pickup, [parcel]);
    const again = await c.createShipments(pickup, [parcel]);
    expect(first).toEqual(again);
    expect(first.parcels).toEqual([{ parcelId: 'p1', trackingNumber: 'SBXCB0000000001' }]);
    expect(sent[0]).toMatchObject({
      name: 'carrier-sandbox-step',
      data: {
        step: 0,
        parcels: [{ trackingNumber: 'SBXCB0000000001', destination: '寿光市' }],
      },
    });
    expect(sent[0]!.startAfter!.getTime()).toBe(NOW + 60_000);
  });

  it('accepts its own signature and returns the events', () => {
    const body = JSON.stringify({ events: [{ ...event, location: '化龙镇' }] });
    expect(carrier().carrier.verifyCallback(signed(body), body)).toEqual([
      { ...event, location: '化龙镇' },
    ]);
  });

  it('refuses a wrong secret, a changed body, an old timestamp and no header', () => {
    const c = carrier().carrier;
    const body = JSON.stringify({ events: [event] });
    const refused = (headers: Record<string, string>, raw = body) => {
      try {
        c.verifyCallback(headers, raw);
        return null;
      } catch (err) {
        return (err as { code: string; status: number }).status;
      }
    };
    expect(refused(signed(body, NOW / 1000, 'b'.repeat(64)))).toBe(401);
    expect(refused(signed(body), body.replace('e1', 'e2'))).toBe(401);
    expect(refused(signed(body, NOW / 1000 - 301))).toBe(401);
    expect(refused({})).toBe(401);
    expect(refused(signed(body, NOW / 1000 - 299))).toBeNull();
  });

  it('refuses well-signed bodies that are not tracking events', () => {
    const c = carrier().carrier;
    for (const body of [
      'not json',
      '{"events":[]}',
      JSON.stringify({ events: [{ ...event, step: 'lost' }] }),
      JSON.stringify({ events: [{ ...event, at: 'yesterday' }] }),
    ]) {
      expect(() => c.verifyCallback(signed(body), body)).toThrow();
    }
  });
});
