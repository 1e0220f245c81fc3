import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct, productInput, registerUser, sellerWithShop } from '../../test/factories.ts';
import { createTestApp, type TestApp } from '../../test/test-app.ts';

function multipart(
  auth: Record<string, string>,
  file: Buffer,
  filename = 'photo.jpg',
  type = 'image/jpeg',
) {
  const boundary = '----cunbo' + Math.random().toString(16).slice(2);
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    payload: Buffer.concat([head, file, tail]),
    headers: { ...auth, 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

describe('shops and products', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t.close());

  it('opens a shop in a real county and names the place in three languages', async () => {
    const seller = await registerUser(t.app, 'seller');
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/shop',
      headers: seller.auth,
      payload: { name: 'Wang Farm', description: 'Tomatoes', regionCode: '370783' },
    });
    expect(res.statusCode).toBe(200);
    const shop = res.json().shop;
    const zh = await t.app.inject({ method: 'GET', url: `/api/v1/shops/${shop.id}?lang=zh` });
    expect(zh.json().shop.region).toMatchObject({
      code: '370783',
      name: '寿光市',
      fullName: '山东省潍坊市寿光市',
      area: '寿光市',
    });
    const it = await t.app.inject({ method: 'GET', url: `/api/v1/shops/${shop.id}?lang=it` });
    expect(it.json().shop.region.name).toBe('Shouguang Shi');
  });

  it('names a village shop by its county first, as buyers know the place', async () => {
    const seller = await registerUser(t.app, 'seller');
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/shop',
      headers: seller.auth,
      payload: { name: 'Nanchai Farm', regionCode: '370783100201' },
    });
    expect(res.statusCode).toBe(200);
    const { id } = res.json().shop as { id: string };
    const zh = await t.app.inject({ method: 'GET', url: `/api/v1/shops/${id}?lang=zh` });
    expect(zh.json().shop.region).toMatchObject({
      name: '南柴村委会',
      area: '寿光市 · 南柴村委会',
    });
    const en = await t.app.inject({ method: 'GET', url: `/api/v1/shops/${id}?lang=en` });
    expect(en.json().shop.region.area).toBe('Shouguang Shi · Nanchai Cunweihui');
  });

  it('refuses unknown regions, provinces and buyers', async () => {
    const seller = await registerUser(t.app, 'seller');
    for (const regionCode of ['999999', '370000']) {
      const res = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/shop',
        headers: seller.auth,
        payload: { name: 'X', regionCode },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().error).toMatchObject({
        code: 'UNKNOWN_REGION',
        details: { field: 'regionCode' },
      });
    }
    const bad = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/shop',
      headers: seller.auth,
      payload: { name: 'X', regionCode: 'abc' },
    });
    expect(bad.statusCode).toBe(400);
    const buyer = await registerUser(t.app, 'buyer');
    const res = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/shop',
      headers: buyer.auth,
      payload: { name: 'X', regionCode: '370783' },
    });
    expect(res.statusCode).toBe(403);
  });

  it('lists a product and reads it back with its stock', async () => {
    const { seller } = await sellerWithShop(t.app);
    const product = await createProduct(t.app, seller, { stock: 12 });
    const res = await t.app.inject({ method: 'GET', url: `/api/v1/products/${product.id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json().product).toMatchObject({
      stock: 12,
      price: 1280,
      traditionalPrice: 700,
      currency: 'CNY',
      unit: 'kg',
    });
  });

  it('needs a shop before products', async () => {
    const seller = await registerUser(t.app, 'seller');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: seller.auth,
      payload: productInput(),
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('SHOP_REQUIRED');
  });

  it.each([
    ['zero price', { price: 0 }, 'body.price'],
    ['negative price', { price: -5 }, 'body.price'],
    ['fractional price', { price: 12.5 }, 'body.price'],
    ['huge price', { price: 1e12 }, 'body.price'],
    ['price as text', { price: '100' }, 'body.price'],
    ['negative stock', { stock: -1 }, 'body.stock'],
    ['huge stock', { stock: 1e9 }, 'body.stock'],
    ['empty title', { title: '   ' }, 'body.title'],
    ['long title', { title: 'x'.repeat(500) }, 'body.title'],
    ['unknown category', { category: 'gold' }, 'body.category'],
  ])('refuses a product with %s and names the field', async (_name, patch, field) => {
    const { seller } = await sellerWithShop(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: seller.auth,
      payload: productInput(patch),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.issues[0].field).toBe(field);
  });

  it('lets only the owner change a product', async () => {
    const { seller } = await sellerWithShop(t.app);
    const { seller: other } = await sellerWithShop(t.app);
    const product = await createProduct(t.app, seller);
    const denied = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${product.id}`,
      headers: other.auth,
      payload: { stock: 0 },
    });
    expect(denied.statusCode).toBe(403);
    const anon = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${product.id}`,
      payload: { stock: 0 },
    });
    expect(anon.statusCode).toBe(401);
    const ok = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/products/${product.id}`,
      headers: seller.auth,
      payload: { stock: 40, price: 1500 },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().product).toMatchObject({ stock: 40, price: 1500 });
  });

  it('answers malformed JSON, oversized bodies and unknown ids with 4xx', async () => {
    const { seller } = await sellerWithShop(t.app);
    const broken = await t.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: { ...seller.auth, 'content-type': 'application/json' },
      payload: '{"title": ',
    });
    expect(broken.statusCode).toBe(400);
    expect(broken.json().error.code).toBe('MALFORMED_JSON');
    const huge = await t.app.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: { ...seller.auth, 'content-type': 'application/json' },
      payload: JSON.stringify(productInput({ description: 'x'.repeat(200_000) })),
    });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const missing = await t.app.inject({
      method: 'GET',
      url: '/api/v1/products/00000000-0000-4000-8000-000000000000',
    });
    expect(missing.statusCode).toBe(404);
    const notUuid = await t.app.inject({ method: 'GET', url: '/api/v1/products/123' });
    expect(notUuid.statusCode).toBe(400);
    expect(notUuid.json().error.details.issues[0].field).toBe('params.id');
  });

  it('stores photos resized for phones and refuses files that are not photos', async () => {
    const { seller } = await sellerWithShop(t.app);
    const product = await createProduct(t.app, seller);
    const jpeg = await sharp({
      create: { width: 2000, height: 1500, channels: 3, background: '#e53935' },
    })
      .jpeg()
      .toBuffer();
    const up = await t.app.inject({
      method: 'POST',
      url: `/api/v1/products/${product.id}/photos`,
      ...multipart(seller.auth, jpeg),
    });
    expect(up.statusCode).toBe(201);
    const photo = up.json().product.photos[0];
    expect(photo).toMatchObject({ width: 1280, height: 960 });
    const small = await t.app.inject({ method: 'GET', url: `/api/v1/photos/${photo.id}?w=320` });
    expect(small.statusCode).toBe(200);
    expect(small.headers['content-type']).toBe('image/webp');
    expect((await sharp(small.rawPayload).metadata()).width).toBe(320);

    const text = await t.app.inject({
      method: 'POST',
      url: `/api/v1/products/${product.id}/photos`,
      ...multipart(seller.auth, Buffer.from('<script>alert(1)</script>'), 'x.jpg'),
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const { seller: other } = await sellerWithShop(t.app);
    const foreign = await t.app.inject({
      method: 'POST',
      url: `/api/v1/products/${product.id}/photos`,
      ...multipart(other.auth, jpeg),
    });
    expect(foreign.statusCode).toBe(403);
  });

  it('refuses photos over the size limit', async () => {
    const { seller } = await sellerWithShop(t.app);
    const product = await createProduct(t.app, seller);
    const big = Buffer.alloc(9 * 1024 * 1024, 1);
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/products/${product.id}/photos`,
      ...multipart(seller.auth, big),
    });
    expect(res.statusCode).toBe(413);
  });
});
