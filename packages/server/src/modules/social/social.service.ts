import { AppError } from '@cunbo/shared';
import type { DomainEventBus } from '../../lib/domain-events.ts';
import type { Actor } from '../accounts/accounts.service.ts';
import { regionView, type CatalogService } from '../catalog/catalog.service.ts';
import type { Locale } from '../regions/regions.service.ts';
import type { SocialRepo } from './social.repo.ts';

export interface NotificationView {
  id: string;
  type: string;
  data: Record<string, unknown>;
  read: boolean;
  createdAt: string;
}

export function createSocialService(deps: {
  repo: SocialRepo;
  catalog: CatalogService;
  events: DomainEventBus;
}) {
  const { repo, catalog } = deps;

  // Followers hear about a show the moment it starts: the whole point of following a farmer.
  deps.events.on('live.started', async (e) => {
    await repo.notifyFollowers(e.shopId, 'live.started', {
      liveId: e.liveId,
      shopId: e.shopId,
      shopName: e.shopName,
      title: e.title,
    });
  });

  async function existingShop(shopId: string) {
    const shop = await catalog.findShop(shopId);
    if (!shop) throw new AppError('NOT_FOUND', 'Shop not found', 404);
    return shop;
  }

  return {
    async follow(actor: Actor, shopId: string) {
      const shop = await existingShop(shopId);
      if (shop.ownerId === actor.user.id) {
        throw new AppError('VALIDATION_FAILED', 'You cannot follow your own shop', 422, {
          field: 'shopId',
        });
      }
      await repo.follow(actor.user.id, shopId);
      return { following: true, followers: (await catalog.getShop(shopId, 'zh')).followers };
    },
    async unfollow(actor: Actor, shopId: string) {
      await existingShop(shopId);
      await repo.unfollow(actor.user.id, shopId);
      return { following: false, followers: (await catalog.getShop(shopId, 'zh')).followers };
    },
    async followState(actor: Actor, shopId: string) {
      await existingShop(shopId);
      return {
        following: await repo.isFollowing(actor.user.id, shopId),
        followers: (await catalog.getShop(shopId, 'zh')).followers,
      };
    },
    async following(actor: Actor, locale: Locale) {
      const rows = await repo.followedShops(actor.user.id);
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        regionCode: r.regionCode,
        region: regionView(r.regionCode, locale),
        followedAt: r.followedAt.toISOString(),
      }));
    },
    async notifications(
      actor: Actor,
      limit: number,
    ): Promise<{ notifications: NotificationView[]; unread: number }> {
      const rows = await repo.list(actor.user.id, limit);
      return {
        notifications: rows.map((n) => ({
          id: n.id,
          type: n.type,
          data: n.data,
          read: n.readAt !== null,
          createdAt: n.createdAt.toISOString(),
        })),
        unread: await repo.unreadCount(actor.user.id),
      };
    },
    async markAllRead(actor: Actor) {
      await repo.markAllRead(actor.user.id);
    },
  };
}

export type SocialService = ReturnType<typeof createSocialService>;
