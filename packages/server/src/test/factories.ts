import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

/** Builds data through the public API, the way a client would. */
export interface TestUser {
  token: string;
  id: string;
  email: string;
  auth: { authorization: string };
}

let counter = 0;

export async function registerUser(
  app: FastifyInstance,
  role: 'buyer' | 'seller',
  name?: string,
): Promise<TestUser> {
  counter += 1;
  const email = `${role}${counter}-${randomUUID().slice(0, 8)}@test.cunbo`;
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: {
      email,
      password: 'correct horse battery',
      displayName: name ?? `${role} ${counter}`,
      role,
    },
  });
  if (res.statusCode !== 201) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
  const body = res.json() as { token: string; user: { id: string } };
  return {
    token: body.token,
    id: body.user.id,
    email,
    auth: { authorization: `Bearer ${body.token}` },
  };
}

/** Shouguang county, Shandong: a real GB/T 2260 code in the shipped table. */
export const COUNTY = '370783';

export async function sellerWithShop(app: FastifyInstance, regionCode = COUNTY) {
  const seller = await registerUser(app, 'seller');
  const res = await app.inject({
    method: 'PUT',
    url: '/api/v1/shop',
    headers: seller.auth,
    payload: { name: `Farm ${counter}`, description: 'Tomatoes', regionCode },
  });
  if (res.statusCode !== 200) throw new Error(`shop failed: ${res.statusCode} ${res.body}`);
  return { seller, shop: res.json().shop as { id: string } };
}

export function productInput(overrides: Record<string, unknown> = {}) {
  return {
    title: 'Greenhouse tomatoes',
    description: 'Sweet',
    unit: 'kg',
    category: 'vegetables',
    price: 1280,
    stock: 25,
    traditionalPrice: 700,
    ...overrides,
  };
}

export async function createProduct(
  app: FastifyInstance,
  seller: TestUser,
  overrides: Record<string, unknown> = {},
) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/products',
    headers: seller.auth,
    payload: productInput(overrides),
  });
  if (res.statusCode !== 201) throw new Error(`product failed: ${res.statusCode} ${res.body}`);
  return res.json().product as { id: string; stock: number; price: number };
}

export async function createLive(
  app: FastifyInstance,
  seller: TestUser,
  productIds: string[],
  start = true,
) {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/lives',
    headers: seller.auth,
    payload: { title: 'Tomato harvest', productIds },
  });
  if (res.statusCode !== 201) throw new Error(`live failed: ${res.statusCode} ${res.body}`);
  const live = res.json().live as { id: string; status: string };
  if (start) {
    const started = await app.inject({
      method: 'POST',
      url: `/api/v1/lives/${live.id}/start`,
      headers: seller.auth,
    });
    if (started.statusCode !== 200) throw new Error(`start failed: ${started.body}`);
  }
  return live;
}

export function orderInput(
  productId: string,
  quantity = 1,
  overrides: Record<string, unknown> = {},
) {
  return {
    items: [{ productId, quantity }],
    shippingAddress: {
      name: 'Chen Xiao',
      phone: '13800138000',
      regionCode: '370783100',
      line1: 'No. 8, East Street',
    },
    paymentMethod: 'cod',
    ...overrides,
  };
}
