import { randomUUID } from 'node:crypto';
import { AppError, CURRENCY, type PinnedProductCard, type ProductCategory } from '@cunbo/shared';
import type { Actor } from '../accounts/accounts.service.ts';
import { countyOf, describeRegion, findRegion, type Locale } from '../regions/regions.service.ts';
import type { CatalogRepo, PhotoRow, ProductRow, ShopRow } from './catalog.repo.ts';
import type { PhotoStore, PhotoWidth } from './photo-store.ts';

export interface PhotoView {
  id: string;
  width: number;
  height: number;
  url: string;
}

export interface ProductView {
  id: string;
  shopId: string;
  title: string;
  description: string;
  unit: string;
  category: ProductCategory;
  price: number;
  traditionalPrice: number | null;
  currency: string;
  stock: number;
  status: 'active' | 'archived';
  photos: PhotoView[];
  createdAt: string;
  updatedAt: string;
}

export interface RegionView {
  code: string;
  name: string;
  fullName: string;
  /** The county, then the place itself when it is below one: what buyers recognise. */
  area: string;
}

export interface ShopView {
  id: string;
  ownerId: string;
  name: string;
  description: string;
  regionCode: string;
  region: RegionView | null;
  followers: number;
  createdAt: string;
}

export interface ProductInput {
  title: string;
  description?: string;
  unit: string;
  category?: ProductCategory;
  price: number;
  stock: number;
  traditionalPrice?: number | null;
}

export const photoUrl = (id: string, width: PhotoWidth = 640) => `/api/v1/photos/${id}?w=${width}`;

function presentPhoto(p: PhotoRow): PhotoView {
  return { id: p.id, width: p.width, height: p.height, url: photoUrl(p.id) };
}

export function presentProduct(row: ProductRow, photos: PhotoRow[]): ProductView {
  return {
    id: row.id,
    shopId: row.shopId,
    title: row.title,
    description: row.description,
    unit: row.unit,
    category: row.category as ProductCategory,
    price: row.priceFen,
    traditionalPrice: row.traditionalPriceFen,
    currency: row.currency,
    stock: row.stock,
    status: row.status,
    photos: photos.filter((p) => p.productId === row.id).map(presentPhoto),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function regionView(code: string, locale: Locale): RegionView | null {
  const d = describeRegion(code, locale);
  if (!d) return null;
  const county = countyOf(code);
  const area = county && county.code !== d.code ? `${county.name[locale]} · ${d.name}` : d.name;
  return { code: d.code, name: d.name, fullName: d.fullName, area };
}

/** A shop's place must be a real county, township or village: it names the seller to buyers. */
function assertShopRegion(code: string): void {
  const region = findRegion(code);
  if (!region || region.level === 'province' || region.level === 'prefecture') {
    throw new AppError(
      'UNKNOWN_REGION',
      'Choose the county, township or village where you are',
      422,
      {
        field: 'regionCode',
      },
    );
  }
}

function assertPrices(input: { price?: number; traditionalPrice?: number | null }) {
  if (input.price !== undefined && input.price <= 0) {
    throw new AppError('VALIDATION_FAILED', 'body.price must be above zero', 400, {
      field: 'body.price',
    });
  }
}

export function createCatalogService(deps: { repo: CatalogRepo; photos: PhotoStore }) {
  const { repo } = deps;

  async function ownedShop(actor: Actor): Promise<ShopRow> {
    if (actor.user.role !== 'seller')
      throw new AppError('FORBIDDEN', 'Only a seller has a shop', 403);
    const shop = await repo.findShopByOwner(actor.user.id);
    if (!shop) throw new AppError('SHOP_REQUIRED', 'Open your shop first', 409);
    return shop;
  }

  async function ownedProduct(actor: Actor, id: string): Promise<ProductRow> {
    const product = await repo.findProduct(id);
    if (!product) throw new AppError('NOT_FOUND', 'Product not found', 404);
    const shop = await repo.findShopById(product.shopId);
    if (shop?.ownerId !== actor.user.id)
      throw new AppError('FORBIDDEN', 'This product is not yours', 403);
    return product;
  }

  async function presentShop(shop: ShopRow, locale: Locale): Promise<ShopView> {
    return {
      id: shop.id,
      ownerId: shop.ownerId,
      name: shop.name,
      description: shop.description,
      regionCode: shop.regionCode,
      region: regionView(shop.regionCode, locale),
      followers: await repo.followerCount(shop.id),
      createdAt: shop.createdAt.toISOString(),
    };
  }

  async function presentProducts(rows: ProductRow[]): Promise<ProductView[]> {
    const photos = await repo.photosOf(rows.map((r) => r.id));
    return rows.map((r) => presentProduct(r, photos));
  }

  return {
    ownedShop,
    presentShop,
    presentProducts,

    async saveShop(
      actor: Actor,
      input: { name: string; description?: string; regionCode: string },
      locale: Locale,
    ) {
      if (actor.user.role !== 'seller')
        throw new AppError('FORBIDDEN', 'Only a seller can open a shop', 403);
      assertShopRegion(input.regionCode);
      const shop = await repo.upsertShop(actor.user.id, {
        name: input.name.trim(),
        description: input.description?.trim() ?? '',
        regionCode: input.regionCode,
      });
      return presentShop(shop, locale);
    },

    async getShop(id: string, locale: Locale): Promise<ShopView> {
      const shop = await repo.findShopById(id);
      if (!shop) throw new AppError('NOT_FOUND', 'Shop not found', 404);
      return presentShop(shop, locale);
    },

    async findShop(id: string) {
      return repo.findShopById(id);
    },

    async getMyShop(actor: Actor, locale: Locale): Promise<ShopView> {
      return presentShop(await ownedShop(actor), locale);
    },

    async listShops(opts: { regionCode?: string; limit: number }, locale: Locale) {
      const rows = await repo.listShops({
        regionPrefix: opts.regionCode ? regionPrefix(opts.regionCode) : undefined,
        limit: opts.limit,
      });
      return Promise.all(rows.map((s) => presentShop(s, locale)));
    },

    async createProduct(actor: Actor, input: ProductInput): Promise<ProductView> {
      const shop = await ownedShop(actor);
      assertPrices(input);
      const row = await repo.insertProduct({
        shopId: shop.id,
        title: input.title.trim(),
        description: input.description?.trim() ?? '',
        unit: input.unit.trim(),
        category: input.category ?? 'other',
        priceFen: input.price,
        currency: CURRENCY,
        traditionalPriceFen: input.traditionalPrice ?? null,
        stock: input.stock,
      });
      return presentProduct(row, []);
    },

    async updateProduct(
      actor: Actor,
      id: string,
      patch: Partial<ProductInput> & { status?: 'active' | 'archived' },
    ): Promise<ProductView> {
      await ownedProduct(actor, id);
      assertPrices(patch);
      const row = await repo.updateProduct(id, {
        ...(patch.title !== undefined && { title: patch.title.trim() }),
        ...(patch.description !== undefined && { description: patch.description.trim() }),
        ...(patch.unit !== undefined && { unit: patch.unit.trim() }),
        ...(patch.category !== undefined && { category: patch.category }),
        ...(patch.price !== undefined && { priceFen: patch.price }),
        ...(patch.traditionalPrice !== undefined && {
          traditionalPriceFen: patch.traditionalPrice,
        }),
        ...(patch.stock !== undefined && { stock: patch.stock }),
        ...(patch.status !== undefined && { status: patch.status }),
      });
      if (!row) throw new AppError('NOT_FOUND', 'Product not found', 404);
      return (await presentProducts([row]))[0]!;
    },

    async getProduct(id: string): Promise<ProductView> {
      const row = await repo.findProduct(id);
      if (!row) throw new AppError('NOT_FOUND', 'Product not found', 404);
      return (await presentProducts([row]))[0]!;
    },

    async listProducts(
      opts: { shopId?: string; category?: ProductCategory; limit: number },
      actor: Actor | null,
    ) {
      const mine = actor && opts.shopId && actor.user.shopId === opts.shopId;
      const rows = await repo.listProducts({ ...opts, includeArchived: Boolean(mine) });
      return presentProducts(rows);
    },

    async productCards(ids: string[]): Promise<Map<string, PinnedProductCard>> {
      const rows = await repo.findProducts(ids);
      const photos = await repo.photosOf(ids);
      return new Map(rows.map((r) => [r.id, toCard(r, photos)]));
    },

    async addPhoto(actor: Actor, productId: string, file: Buffer): Promise<ProductView> {
      await ownedProduct(actor, productId);
      // The count is checked before decoding so a flood of photos costs no CPU.
      if ((await repo.countPhotos(productId)) >= 9) {
        throw new AppError('VALIDATION_FAILED', 'A product has at most 9 photos', 422, {
          field: 'file',
        });
      }
      const id = randomUUID();
      const size = await deps.photos.save(id, file);
      const position = await repo.countPhotos(productId);
      await repo.insertPhoto({ id, productId, position, ...size });
      return this.getProduct(productId);
    },

    async deletePhoto(actor: Actor, productId: string, photoId: string): Promise<ProductView> {
      await ownedProduct(actor, productId);
      const photo = await repo.findPhoto(photoId);
      if (photo?.productId !== productId) throw new AppError('NOT_FOUND', 'Photo not found', 404);
      await repo.deletePhoto(photoId);
      await deps.photos.remove(photoId);
      return this.getProduct(productId);
    },

    readPhoto: (id: string, width: PhotoWidth) => deps.photos.read(id, width),
  };
}

export function toCard(row: ProductRow, photos: PhotoRow[]): PinnedProductCard {
  const photo = photos.find((p) => p.productId === row.id);
  return {
    id: row.id,
    title: row.title,
    unit: row.unit,
    price: row.priceFen,
    currency: row.currency,
    traditionalPrice: row.traditionalPriceFen,
    stock: row.stock,
    photoUrl: photo ? photoUrl(photo.id, 320) : null,
  };
}

/** GB/T 2260 codes nest by prefix: 370000 → "37", 370700 → "3707", 370783001 → itself. */
export function regionPrefix(code: string): string {
  if (code.length === 6) return code.replace(/(00)+$/, '') || code;
  return code;
}

export type CatalogService = ReturnType<typeof createCatalogService>;
