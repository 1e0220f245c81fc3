import { and, asc, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { follows, productPhotos, products, shops } from '../../db/schema/index.ts';

export type ShopRow = typeof shops.$inferSelect;
export type ProductRow = typeof products.$inferSelect;
export type PhotoRow = typeof productPhotos.$inferSelect;

export function catalogRepo(db: Db) {
  return {
    async findShopById(id: string): Promise<ShopRow | null> {
      const rows = await db.select().from(shops).where(eq(shops.id, id)).limit(1);
      return rows[0] ?? null;
    },
    async findShopByOwner(ownerId: string): Promise<ShopRow | null> {
      const rows = await db.select().from(shops).where(eq(shops.ownerId, ownerId)).limit(1);
      return rows[0] ?? null;
    },
    async upsertShop(
      ownerId: string,
      values: { name: string; description: string; regionCode: string },
    ) {
      const rows = await db
        .insert(shops)
        .values({ ownerId, ...values })
        .onConflictDoUpdate({ target: shops.ownerId, set: { ...values, updatedAt: sql`now()` } })
        .returning();
      return rows[0]!;
    },
    async listShops(opts: { regionPrefix?: string; limit: number }) {
      return db
        .select()
        .from(shops)
        .where(
          opts.regionPrefix ? sql`${shops.regionCode} like ${opts.regionPrefix + '%'}` : undefined,
        )
        .orderBy(asc(shops.name))
        .limit(opts.limit);
    },
    async followerCount(shopId: string): Promise<number> {
      const rows = await db.select({ n: count() }).from(follows).where(eq(follows.shopId, shopId));
      return rows[0]?.n ?? 0;
    },
    async insertProduct(values: typeof products.$inferInsert): Promise<ProductRow> {
      const rows = await db.insert(products).values(values).returning();
      return rows[0]!;
    },
    async findProduct(id: string): Promise<ProductRow | null> {
      const rows = await db.select().from(products).where(eq(products.id, id)).limit(1);
      return rows[0] ?? null;
    },
    async findProducts(ids: string[]): Promise<ProductRow[]> {
      if (ids.length === 0) return [];
      return db.select().from(products).where(inArray(products.id, ids));
    },
    async updateProduct(
      id: string,
      values: Partial<typeof products.$inferInsert>,
    ): Promise<ProductRow | null> {
      const rows = await db
        .update(products)
        .set({ ...values, updatedAt: sql`now()` })
        .where(eq(products.id, id))
        .returning();
      return rows[0] ?? null;
    },
    async listProducts(opts: {
      shopId?: string;
      category?: string;
      includeArchived: boolean;
      limit: number;
    }) {
      return db
        .select()
        .from(products)
        .where(
          and(
            opts.shopId ? eq(products.shopId, opts.shopId) : undefined,
            opts.category ? eq(products.category, opts.category) : undefined,
            opts.includeArchived ? undefined : eq(products.status, 'active'),
          ),
        )
        .orderBy(desc(products.createdAt))
        .limit(opts.limit);
    },
    async photosOf(productIds: string[]): Promise<PhotoRow[]> {
      if (productIds.length === 0) return [];
      return db
        .select()
        .from(productPhotos)
        .where(inArray(productPhotos.productId, productIds))
        .orderBy(asc(productPhotos.position), asc(productPhotos.createdAt));
    },
    async insertPhoto(values: typeof productPhotos.$inferInsert): Promise<PhotoRow> {
      const rows = await db.insert(productPhotos).values(values).returning();
      return rows[0]!;
    },
    async findPhoto(id: string): Promise<PhotoRow | null> {
      const rows = await db.select().from(productPhotos).where(eq(productPhotos.id, id)).limit(1);
      return rows[0] ?? null;
    },
    async deletePhoto(id: string): Promise<void> {
      await db.delete(productPhotos).where(eq(productPhotos.id, id));
    },
    async countPhotos(productId: string): Promise<number> {
      const rows = await db
        .select({ n: count() })
        .from(productPhotos)
        .where(eq(productPhotos.productId, productId));
      return rows[0]?.n ?? 0;
    },
  };
}

export type CatalogRepo = ReturnType<typeof catalogRepo>;
