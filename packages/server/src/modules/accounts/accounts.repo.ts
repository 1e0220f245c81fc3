import { and, eq, gt, inArray, lt } from 'drizzle-orm';
import type { Db } from '../../db/client.ts';
import { sessions, shops, users } from '../../db/schema/index.ts';

export type UserRow = typeof users.$inferSelect;
export type Role = UserRow['role'];
export type Locale = UserRow['locale'];

export function accountsRepo(db: Db) {
  return {
    async insertUser(values: typeof users.$inferInsert): Promise<UserRow | null> {
      const rows = await db.insert(users).values(values).onConflictDoNothing().returning();
      return rows[0] ?? null;
    },
    async findUserByEmail(email: string): Promise<UserRow | null> {
      const rows = await db.select().from(users).where(eq(users.email, email)).limit(1);
      return rows[0] ?? null;
    },
    async findUserById(id: string): Promise<UserRow | null> {
      const rows = await db.select().from(users).where(eq(users.id, id)).limit(1);
      return rows[0] ?? null;
    },
    async updateUser(id: string, values: Partial<Pick<UserRow, 'displayName' | 'locale'>>) {
      const rows = await db.update(users).set(values).where(eq(users.id, id)).returning();
      return rows[0] ?? null;
    },
    async shopIdOf(userId: string): Promise<string | null> {
      const rows = await db
        .select({ id: shops.id })
        .from(shops)
        .where(eq(shops.ownerId, userId))
        .limit(1);
      return rows[0]?.id ?? null;
    },
    async insertSession(values: typeof sessions.$inferInsert): Promise<void> {
      await db.insert(sessions).values(values);
    },
    /** The live sessions among these token hashes, with their users and shops. */
    async findLiveSessions(tokenHashes: readonly string[], now: Date) {
      if (tokenHashes.length === 0) return [];
      return db
        .select({
          tokenHash: sessions.tokenHash,
          user: users,
          csrfToken: sessions.csrfToken,
          shopId: shops.id,
        })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .leftJoin(shops, eq(shops.ownerId, users.id))
        .where(and(inArray(sessions.tokenHash, [...tokenHashes]), gt(sessions.expiresAt, now)));
    },
    async deleteSession(tokenHash: string): Promise<void> {
      await db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
    },
    async deleteExpiredSessions(now: Date): Promise<void> {
      await db.delete(sessions).where(lt(sessions.expiresAt, now));
    },
  };
}

export type AccountsRepo = ReturnType<typeof accountsRepo>;
