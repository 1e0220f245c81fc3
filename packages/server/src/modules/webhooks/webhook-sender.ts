import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Webhook } from 'standardwebhooks';
import type { AttemptOutcome } from './webhooks.repo.ts';

/** What an attempt keeps of the receiver's answer. */
export const RESPONSE_BODY_MAX = 1024;

/**
 * Loopback, private, link-local, carrier-grade NAT, multicast, reserved…: anything but a
 * public unicast address. An IPv4 address written as IPv6 (::ffff:10.0.0.1) counts as IPv4.
 */
export function isPrivateAddress(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return true;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  }
  return addr.range() !== 'unicast';
}

/** The host of a URL as an IP address when it is written as one (IPv6 without brackets). */
function literalAddress(hostname: string): string | null {
  const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return ipaddr.isValid(bare) ? bare : null;
}

/**
 * Why a URL cannot receive webhooks, or null. Hostnames are checked again when the request
 * connects (see {@link sendWebhook}), since a name may resolve to anything later.
 */
export function urlProblem(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'Not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Use an http or https URL';
  if (url.username || url.password) return 'Leave the user name and password out of the URL';
  if (allowPrivate) return null;
  const literal = literalAddress(url.hostname);
  if ((literal && isPrivateAddress(literal)) || url.hostname === 'localhost') {
    return 'Private and local addresses cannot receive webhooks';
  }
  return null;
}

class PrivateTargetError extends Error {}

/** dns.lookup that refuses private addresses, so the check holds for the address we connect to. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 4);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) {
      return callback(
        new PrivateTargetError(`${hostname} resolves to a private address (${bad.address})`),
        '',
        4,
      );
    }
    if (options.all)
      return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
    const first = addresses[0]!;
    callback(null, first.address, first.family);
  });
};

export interface OutgoingWebhook {
  url: string;
  /** `whsec_…` */
  secret: string;
  /** The event id: the same on every attempt, so receivers can drop repeats. */
  id: string;
  /** The JSON body, signed as these exact bytes. */
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
  at?: Date;
}

/**
 * One attempt: POSTs the body signed the Standard Webhooks way (`webhook-id`,
 * `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`). Never throws: every
 * failure (refused, timed out, non-2xx) comes back as an outcome for the delivery log.
 * Redirects are not followed (a 3xx is a failed attempt).
 */
export async function sendWebhook(out: OutgoingWebhook): Promise<AttemptOutcome> {
  const started = performance.now();
  const done = (statusCode: number | null, error: string | null, responseBody: string | null) => ({
    statusCode,
    error,
    responseBody,
    durationMs: Math.round(performance.now() - started),
  });
  const problem = urlProblem(out.url, out.allowPrivate);
  if (problem) return done(null, problem, null);
  const at = out.at ?? new Date();
  const signature = new Webhook(out.secret).sign(out.id, at, out.body);
  const url = new URL(out.url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: AttemptOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(out.body),
          'user-agent': 'Cunbo-Webhooks/1',
          'webhook-id': out.id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signature,
        },
        ...(!out.allowPrivate && { lookup: publicOnlyLookup }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const end = () => {
          const body = Buffer.concat(chunks).subarray(0, RESPONSE_BODY_MAX).toString('utf8');
          const code = response.statusCode ?? null;
          const ok = code !== null && code >= 200 && code < 300;
          finish(done(code, ok ? null : `HTTP ${code}`, body));
          response.destroy();
        };
        response.on('data', (chunk: Buffer) => {
          if (size < RESPONSE_BODY_MAX) chunks.push(chunk);
          size += chunk.length;
          // The rest of a long answer is not worth waiting for.
          if (size >= RESPONSE_BODY_MAX) end();
        });
        response.on('end', end);
        response.on('error', (err) => finish(done(response.statusCode ?? null, err.message, null)));
      },
    );
    const timer = setTimeout(() => {
      // After a stall of this process the answer may be waiting in the socket already: let
      // pending I/O run first (setImmediate comes after the poll phase), so it is not thrown
      // away as a timeout and sent again.
      setImmediate(() => {
        finish(done(null, `No answer within ${out.timeoutMs} ms`, null));
        request.destroy();
      });
    }, out.timeoutMs);
    request.on('error', (err: NodeJS.ErrnoException) => {
      const reason = err instanceof PrivateTargetError ? err.message : (err.code ?? err.message);
      finish(done(null, reason, null));
    });
    request.end(out.body);
  });
}
