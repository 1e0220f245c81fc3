import { describe, expect, it } from 'vitest';
import { eventKey, lastOutcome, nextBefore, urlIssue } from './webhooks-view.ts';

describe('webhooks view', () => {
  it('names event types with i18n keys', () => {
    expect(eventKey('order.paid')).toBe('integrations.event.order_paid');
    expect(eventKey('webhook.test')).toBe('integrations.event.webhook_test');
  });

  it('says what the last attempt got', () => {
    expect(lastOutcome({ lastStatusCode: 503, lastError: 'HTTP 503' })).toBe('HTTP 503');
    expect(lastOutcome({ lastStatusCode: null, lastError: 'ECONNREFUSED' })).toBe('ECONNREFUSED');
    expect(lastOutcome({ lastStatusCode: 200, lastError: null })).toBe('HTTP 200');
    expect(lastOutcome({ lastStatusCode: null, lastError: null })).toBe('');
  });

  it('checks URLs the way the server does', () => {
    expect(urlIssue('')).toBe('empty');
    expect(urlIssue('ftp://x.example')).toBe('scheme');
    expect(urlIssue('https://')).toBe('invalid');
    expect(urlIssue(`https://${'a'.repeat(500)}`)).toBe('long');
    expect(urlIssue(' https://erp.example.com/hooks ')).toBeNull();
  });

  it('pages only when the page was full', () => {
    const rows = [{ createdAt: '2026-01-02T00:00:00Z' }, { createdAt: '2026-01-01T00:00:00Z' }];
    expect(nextBefore(rows, 2)).toBe('2026-01-01T00:00:00Z');
    expect(nextBefore(rows, 30)).toBeNull();
  });
});
