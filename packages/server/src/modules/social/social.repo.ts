import { and, count, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { follows, notifications, shops } from '../../db/schema/index.ts';

export type NotificationRow = typeof notifications.$inferSelect;

export function socialRepo(db: Db) {
  return {
    async follow(userId: string, shopId: string): Promise<void> {
      await db.insert(follows).values({ userId, shopId }).onConflictDoNothing();
    },
    async unfollow(userId: string, shopId: string): Promise<void> {
      await db.delete(follows).where(and(eq(follows.userId, userId), eq(follows.shopId, shopId)));
    },
    async isFollowing(userId: string, shopId: string): Promise<boolean> {
      const rows = await db
        .select({ n: count() })
        .from(follows)
        .where(and(eq(follows.userId, userId), eq(follows.shopId, shopId)));
      return (rows[0]?.n ?? 0) > 0;
    },
    async followedShops(userId: string) {
      return db
        .select({
          id: shops.id,
          name: shops.name,
          regionCode: shops.regionCode,
          followedAt: follows.createdAt,
        })
        .from(follows)
        .innerJoin(shops, eq(shops.id, follows.shopId))
        .where(eq(follows.userId, userId))
        .orderBy(desc(follows.createdAt));
    },
    /** One insert for all followers, however many: a big seller going live costs one statement. */
    async notifyFollowers(
      shopId: string,
      type: string,
      data: Record<string, unknown>,
    ): Promise<number> {
      const result = await db.execute(sql`
        insert into ${notifications} (user_id, type, data)
        select ${follows.userId}, ${type}, ${JSON.stringify(data)}::jsonb from ${follows} where ${follows.shopId} = ${shopId}`);
      return (
        (result as { rowCount?: number | null; affectedRows?: number }).rowCount ??
        (result as { affectedRows?: number }).affectedRows ??
        0
      );
    },
    async list(userId: string, limit: number): Promise<NotificationRow[]> {
      return db
        .select()
        .from(notifications)
        .where(eq(notifications.userId, userId))
        .orderBy(desc(notifications.createdAt))
        .limit(limit);
    },
    async unreadCount(userId: string): Promise<number> {
      const rows = await db
        .select({ n: count() })
        .from(notifications)
        .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
      return rows[0]?.n ?? 0;
    },
    async markAllRead(userId: string): Promise<void> {
      await db
        .update(notifications)
        .set({ readAt: sql`now()` })
        .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
    },
  };
}

export type SocialRepo = ReturnType<typeof socialRepo>;
