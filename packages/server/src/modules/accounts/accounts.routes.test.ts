import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/test-app.ts';

describe('accounts', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  const register = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/register', payload });

  it('registers a buyer and returns a token, a user and an HttpOnly SameSite cookie', async () => {
    const res = await register({
      email: 'Chen@Example.com',
      password: 'a long password',
      displayName: '小陈',
      role: 'buyer',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.token).toEqual(expect.any(String));
    expect(body.user).toMatchObject({
      email: 'chen@example.com',
      displayName: '小陈',
      role: 'buyer',
      shopId: null,
    });
    expect(body.user).not.toHaveProperty('passwordHash');
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/cunbo_session=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  it('stores the password as an argon2id hash', async () => {
    await register({
      email: 'hash@example.com',
      password: 'a long password',
      displayName: 'H',
      role: 'seller',
    });
    const rows = await t.app.database.db.query.users.findFirst({
      where: (u, { eq }) => eq(u.email, 'hash@example.com'),
    });
    expect(rows?.passwordHash).toMatch(/^\$argon2id\$/);
  });

  it('refuses operator self-registration and unknown fields', async () => {
    const op = await register({
      email: 'op@example.com',
      password: 'a long password',
      displayName: 'Op',
      role: 'operator',
    });
    expect(op.statusCode).toBe(400);
    expect(op.json().error.code).toBe('VALIDATION_FAILED');
    const extra = await register({
      email: 'x@example.com',
      password: 'a long password',
      displayName: 'X',
      role: 'buyer',
      isAdmin: true,
    });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.details.issues[0].field).toBe('body.isAdmin');
  });

  it('names the bad field', async () => {
    const res = await register({
      email: 'not-an-email',
      password: 'short',
      displayName: 'X',
      role: 'buyer',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/^body\.(email|password)/);
  });

  it('refuses a second account with the same email', async () => {
    await register({
      email: 'twice@example.com',
      password: 'a long password',
      displayName: 'A',
      role: 'buyer',
    });
    const res = await register({
      email: 'TWICE@example.com',
      password: 'a long password',
      displayName: 'B',
      role: 'buyer',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('EMAIL_TAKEN');
  });

  it('logs in, and gives one message for every failure', async () => {
    await register({
      email: 'login@example.com',
      password: 'a long password',
      displayName: 'L',
      role: 'buyer',
    });
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'login@example.com', password: 'a long password' },
    });
    expect(ok.statusCode).toBe(200);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'login@example.com', password: 'wrong password' },
    });
    const nobody = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'nobody@example.com', password: 'a long password' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(nobody.statusCode).toBe(401);
    expect(wrong.json()).toEqual(nobody.json());
  });

  it('uses bearer tokens and ends the session on logout', async () => {
    const { token } = (
      await register({
        email: 'bye@example.com',
        password: 'a long password',
        displayName: 'B',
        role: 'buyer',
      })
    ).json();
    const auth = { authorization: `Bearer ${token}` };
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth })).statusCode,
    ).toBe(200);
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth }))
        .statusCode,
    ).toBe(204);
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: auth });
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe('UNAUTHENTICATED');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me' })).statusCode).toBe(401);
  });

  it('requires the CSRF header on writes made with the cookie', async () => {
    const res = await register({
      email: 'csrf@example.com',
      password: 'a long password',
      displayName: 'C',
      role: 'seller',
    });
    const { token, csrfToken } = res.json();
    const cookie = { cookie: `cunbo_session=${token}` };
    const shop = { name: 'Farm', regionCode: '370783' };
    const without = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/shop',
      headers: cookie,
      payload: shop,
    });
    expect(without.statusCode).toBe(403);
    expect(without.json().error.code).toBe('CSRF_FAILED');
    const forged = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/shop',
      headers: { ...cookie, 'x-csrf-token': 'guess' },
      payload: shop,
    });
    expect(forged.statusCode).toBe(403);
    const withHeader = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/shop',
      headers: { ...cookie, 'x-csrf-token': csrfToken },
      payload: shop,
    });
    expect(withHeader.statusCode).toBe(200);
    // Reads need no CSRF token.
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: cookie })).statusCode,
    ).toBe(200);
  });

  it('lets only an operator create operators', async () => {
    const buyer = (
      await register({
        email: 'b-op@example.com',
        password: 'a long password',
        displayName: 'B',
        role: 'buyer',
      })
    ).json();
    const payload = {
      email: 'newop@example.com',
      password: 'a long password',
      displayName: 'Park staff',
    };
    const denied = await t.app.inject({
      method: 'POST',
      url: '/api/v1/operators',
      headers: { authorization: `Bearer ${buyer.token}` },
      payload,
    });
    expect(denied.statusCode).toBe(403);
    await t.app.services.accounts.createOperator(null, {
      email: 'root-op@example.com',
      password: 'a long password',
      displayName: 'Root',
    });
    const op = (
      await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'root-op@example.com', password: 'a long password' },
      })
    ).json();
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/v1/operators',
      headers: { authorization: `Bearer ${op.token}` },
      payload,
    });
    expect(made.statusCode).toBe(201);
    expect(made.json().user.role).toBe('operator');
  });

  it('rate-limits login attempts', async () => {
    const limited = await createTestApp({
      rateLimits: { ...t.config.rateLimits, authPerMinute: 3 },
    });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await limited.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: 'x@example.com', password: 'whatever1' },
        });
        codes.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(res.json().error.code).toBe('RATE_LIMITED');
          expect(res.headers['retry-after']).toBeDefined();
        }
      }
      expect(codes).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
