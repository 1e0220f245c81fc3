import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { lookup } from 'node:dns/promises';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress, sendWebhook, urlProblem } from './webhook-sender.ts';

describe('webhook sender', () => {
  const secret = `whsec_${Buffer.from('a'.repeat(32)).toString('base64')}`;
  let server: http.Server;
  let port: number;
  let behaviour: 'long' | 'silent' = 'long';
  const seen: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        if (behaviour === 'silent') return; // never answers
        res.writeHead(201, { 'content-type': 'text/plain' });
        res.end('x'.repeat(5000));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('tells public addresses from private, loopback, link-local and mapped ones', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.8',
      '172.16.3.4',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fc00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      'nonsense',
    ])
      expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
      expect(isPrivateAddress(ip), ip).toBe(false);
    expect(urlProblem('http://[::1]:80/', false)).toMatch(/Private/);
    expect(urlProblem('http://[::1]:80/', true)).toBeNull();
    expect(urlProblem('mailto:a@b.c', true)).toMatch(/http/);
  });

  it('signs with standardwebhooks, sends the headers, keeps the first 1 KB of the answer', async () => {
    behaviour = 'long';
    const body = JSON.stringify({
      type: 'order.paid',
      timestamp: new Date().toISOString(),
      data: { n: 1 },
    });
    const out = await sendWebhook({
      url: `http://127.0.0.1:${port}/in`,
      secret,
      id: 'msg_1',
      body,
      timeoutMs: 2000,
      allowPrivate: true,
    });
    expect(out).toMatchObject({ statusCode: 201, error: null });
    expect(out.responseBody).toHaveLength(1024);
    const got = seen.at(-1)!;
    expect(got.body).toBe(body);
    expect(got.headers['webhook-id']).toBe('msg_1');
    expect(
      new Webhook(secret).verify(got.body, got.headers as Record<string, string>),
    ).toMatchObject({ type: 'order.paid', data: { n: 1 } });
    expect(() =>
      new Webhook(secret).verify(got.body.replace('1', '2'), got.headers as Record<string, string>),
    ).toThrow();
  });

  it('counts a receiver that does not answer in time as a failed attempt', async () => {
    behaviour = 'silent';
    const out = await sendWebhook({
      url: `http://127.0.0.1:${port}/slow`,
      secret,
      id: 'msg_2',
      body: '{}',
      timeoutMs: 300,
      allowPrivate: true,
    });
    expect(out).toMatchObject({ statusCode: null, error: 'No answer within 300 ms' });
    expect(out.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('refuses a host name that resolves to a private address when they are not allowed', async () => {
    const name = hostname();
    const { address } = await lookup(name);
    expect(isPrivateAddress(address), `${name} resolves to ${address}`).toBe(true);
    const before = seen.length;
    const out = await sendWebhook({
      url: `http://${name}:${port}/in`,
      secret,
      id: 'msg_3',
      body: '{}',
      timeoutMs: 2000,
      allowPrivate: false,
    });
    expect(out.statusCode).toBeNull();
    expect(out.error).toMatch(/resolves to a private address/);
    expect(seen.length).toBe(before);
  });
});
