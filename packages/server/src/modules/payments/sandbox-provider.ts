import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppError } from '@cunbo/shared';
import type { PaymentNotification, PaymentProvider } from './payment-provider.ts';

export const SANDBOX_SIGNATURE_HEADER = 'x-sandbox-signature';
const TOLERANCE_SECONDS = 300;

export function signSandbox(secret: string, timestamp: number, rawBody: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/**
 * A payment provider that lives inside Cunbo, for development, demos and tests. It behaves
 * like the real ones: a hosted pay page, then a signed asynchronous notification, then refunds.
 */
export function createSandboxProvider(opts: {
  secret: string;
  now?: () => number;
}): PaymentProvider & {
  /** What the sandbox's "server" posts after the buyer presses Pay or Fail on its page. */
  notification(
    providerRef: string,
    outcome: 'succeeded' | 'failed',
    amountFen: number,
  ): { headers: Record<string, string>; body: string };
} {
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  return {
    id: 'sandbox',
    async createPayment(input) {
      const providerRef = `sbx_${randomUUID()}`;
      return { providerRef, payUrl: `/pay/sandbox/${input.paymentId}` };
    },
    notification(providerRef, outcome, amountFen) {
      const body = JSON.stringify({ providerRef, outcome, amountFen });
      return {
        headers: { [SANDBOX_SIGNATURE_HEADER]: signSandbox(opts.secret, now(), body) },
        body,
      };
    },
    verifyCallback(headers, rawBody): PaymentNotification {
      const header = headers[SANDBOX_SIGNATURE_HEADER];
      const match = typeof header === 'string' ? /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) : null;
      const invalid = () =>
        new AppError(
          'INVALID_SIGNATURE',
          'The payment notification is not signed by the sandbox',
          401,
        );
      if (!match) throw invalid();
      const timestamp = Number(match[1]);
      if (Math.abs(now() - timestamp) > TOLERANCE_SECONDS) throw invalid();
      const expected = Buffer.from(signSandbox(opts.secret, timestamp, rawBody));
      const given = Buffer.from(header as string);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
      let parsed: unknown;
      try {
        parsed = JSON.parse(rawBody);
      } catch {
        throw new AppError('MALFORMED_JSON', 'The notification is not JSON', 400);
      }
      const n = parsed as Partial<PaymentNotification>;
      if (
        typeof n.providerRef !== 'string' ||
        (n.outcome !== 'succeeded' && n.outcome !== 'failed') ||
        !Number.isInteger(n.amountFen)
      ) {
        throw new AppError(
          'VALIDATION_FAILED',
          'The notification lacks providerRef, outcome or amountFen',
          400,
        );
      }
      return { providerRef: n.providerRef, outcome: n.outcome, amountFen: n.amountFen as number };
    },
    async refund() {
      return { refundRef: `sbx_refund_${randomUUID()}` };
    },
  };
}

export type SandboxProvider = ReturnType<typeof createSandboxProvider>;
