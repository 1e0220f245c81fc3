import { createHash, randomBytes } from 'node:crypto';
import { AppError } from '@cunbo/shared';
import DataLoader from 'dataloader';
import type { Clock } from '../../lib/clock.ts';
import type { AccountsRepo, Locale, Role, UserRow } from './accounts.repo.ts';
import { dummyPasswordHash, hashPassword, verifyPassword } from './password.ts';

export interface PublicUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  locale: Locale;
  shopId: string | null;
  createdAt: string;
}

/** Who is asking: resolved once per request from the bearer token or the session cookie. */
export interface Actor {
  user: PublicUser;
  tokenHash: string;
  csrfToken: string;
}

export interface IssuedSession {
  token: string;
  csrfToken: string;
  user: PublicUser;
  expiresAt: Date;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function presentUser(row: UserRow, shopId: string | null): PublicUser {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    role: row.role,
    locale: row.locale,
    shopId,
    createdAt: row.createdAt.toISOString(),
  };
}

type SessionFound = Awaited<ReturnType<AccountsRepo['findLiveSessions']>>[number];

const normaliseEmail = (email: string) => email.trim().toLowerCase();

export function createAccountsService(deps: {
  repo: AccountsRepo;
  clock: Clock;
  sessionTtlDays: number;
}) {
  const { repo, clock } = deps;

  /**
   * Every request looks its session up. The lookups that arrive together (a burst of buyers
   * tapping at once) go to the database as one query: requests read in the same turn of the
   * event loop are batched (setImmediate), at most 500 at a time. Nothing is cached: a
   * session ended by logout is refused by the very next request.
   */
  const sessionLoader = new DataLoader<string, SessionFound | null>(
    async (tokenHashes) => {
      const rows = await repo.findLiveSessions(tokenHashes, clock.now());
      const byHash = new Map(rows.map((r) => [r.tokenHash, r]));
      return tokenHashes.map((h) => byHash.get(h) ?? null);
    },
    { cache: false, maxBatchSize: 500, batchScheduleFn: (run) => setImmediate(run) },
  );

  async function issueSession(user: UserRow, shopId: string | null): Promise<IssuedSession> {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(clock.now().getTime() + deps.sessionTtlDays * 86_400_000);
    await repo.insertSession({
      tokenHash: hashToken(token),
      userId: user.id,
      csrfToken,
      expiresAt,
    });
    return { token, csrfToken, user: presentUser(user, shopId), expiresAt };
  }

  async function createUser(input: {
    email: string;
    password: string;
    displayName: string;
    role: Role;
    locale?: Locale;
  }): Promise<UserRow> {
    const user = await repo.insertUser({
      email: normaliseEmail(input.email),
      passwordHash: await hashPassword(input.password),
      displayName: input.displayName.trim(),
      role: input.role,
      locale: input.locale ?? 'zh',
    });
    if (!user) {
      throw new AppError('EMAIL_TAKEN', 'This email already has an account', 409, {
        field: 'email',
      });
    }
    return user;
  }

  return {
    /** Self-registration: buyers and sellers only; operators come from the CLI or an operator. */
    async register(input: {
      email: string;
      password: string;
      displayName: string;
      role: 'buyer' | 'seller';
      locale?: Locale;
    }): Promise<IssuedSession> {
      const user = await createUser(input);
      return issueSession(user, null);
    },

    async createOperator(
      actor: Actor | null,
      input: { email: string; password: string; displayName: string },
    ): Promise<PublicUser> {
      if (actor && actor.user.role !== 'operator') {
        throw new AppError('FORBIDDEN', 'Only an operator can create operators', 403);
      }
      const user = await createUser({ ...input, role: 'operator' });
      return presentUser(user, null);
    },

    async login(input: { email: string; password: string }): Promise<IssuedSession> {
      const user = await repo.findUserByEmail(normaliseEmail(input.email));
      const ok = user
        ? await verifyPassword(user.passwordHash, input.password)
        : (await verifyPassword(await dummyPasswordHash(), input.password), false);
      if (!user || !ok) {
        throw new AppError('INVALID_CREDENTIALS', 'Wrong email or password', 401);
      }
      return issueSession(user, await repo.shopIdOf(user.id));
    },

    async logout(actor: Actor): Promise<void> {
      await repo.deleteSession(actor.tokenHash);
    },

    async authenticate(token: string): Promise<Actor | null> {
      if (token.length < 20 || token.length > 200) return null;
      const tokenHash = hashToken(token);
      const found = await sessionLoader.load(tokenHash);
      if (!found) return null;
      return { user: presentUser(found.user, found.shopId), tokenHash, csrfToken: found.csrfToken };
    },

    async updateProfile(actor: Actor, input: { displayName?: string; locale?: Locale }) {
      const row = await repo.updateUser(actor.user.id, {
        ...(input.displayName !== undefined && { displayName: input.displayName.trim() }),
        ...(input.locale !== undefined && { locale: input.locale }),
      });
      if (!row) throw new AppError('NOT_FOUND', 'User not found', 404);
      return presentUser(row, actor.user.shopId);
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
