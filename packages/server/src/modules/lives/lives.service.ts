import { randomBytes } from 'node:crypto';
import { AppError, type LiveStatus, type PinnedProductCard } from '@cunbo/shared';
import type { Clock } from '../../lib/clock.ts';
import type { DomainEventBus } from '../../lib/domain-events.ts';
import { assertTransition } from '../../lib/state-machine.ts';
import type { Actor } from '../accounts/accounts.service.ts';
import type { ShopRow } from '../catalog/catalog.repo.ts';
import {
  regionPrefix,
  regionView,
  type CatalogService,
  type RegionView,
} from '../catalog/catalog.service.ts';
import type { Locale } from '../regions/regions.service.ts';
import type { LiveListFilter, LiveRow, LivesRepo } from './lives.repo.ts';
import { chaptersOf, type Chapter, type ReplayTimeline } from './lives.replay.ts';
import { LIVE_TRANSITIONS } from './lives.state.ts';

export interface LiveView {
  id: string;
  title: string;
  status: LiveStatus;
  scheduledAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  shop: { id: string; name: string; regionCode: string; region: RegionView | null };
  pinnedProduct: PinnedProductCard | null;
  products: PinnedProductCard[];
  stats: { peakViewers: number; likes: number; chatLines: number };
  playback: LivePlayback | null;
  /** A frame of the stream, refreshed while live; null until the first one. */
  thumbnailUrl: string | null;
  /** After the end, when something was recorded. */
  replay: LiveReplay | null;
  /** Only for the host: OBS and encoder apps publish with it. */
  streamKey?: string;
  createdAt: string;
}

/**
 * Where players get the show while it is live. `hls` is null until the stream is being
 * packaged (the host is publishing); players then only have WebRTC (WHEP).
 */
export interface LivePlayback {
  whep: string;
  hls: string | null;
}

/** The recorded show: an HLS VOD playlist, with a chapter at each product pinned. */
export interface LiveReplay {
  hls: string;
  chapters: Chapter[];
  duration: number;
}

/** What the media side (`media/hls`) tells the lives module about a show's stream. */
export interface LiveMediaProbe {
  /** The live HLS playlist has something to play. */
  hlsLive(liveId: string): boolean;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function createLivesService(deps: {
  repo: LivesRepo;
  catalog: CatalogService;
  events: DomainEventBus;
  clock: Clock;
}) {
  const { repo, catalog, events, clock } = deps;
  let media: LiveMediaProbe = { hlsLive: () => false };

  const playbackOf = (live: LiveRow): LivePlayback | null =>
    live.status === 'live'
      ? {
          whep: `/api/v1/lives/${live.id}/whep`,
          hls: media.hlsLive(live.id) ? `/api/v1/lives/${live.id}/hls/live.m3u8` : null,
        }
      : null;
  const hasReplay = (l: LiveRow): l is LiveRow & { replay: ReplayTimeline } =>
    l.status === 'ended' && !!l.replay && l.replay.duration > 0;

  async function present(
    lives: LiveRow[],
    locale: Locale,
    actor: Actor | null,
  ): Promise<LiveView[]> {
    const productIds = await repo.productIdsOfMany(lives.map((l) => l.id));
    const allIds = new Set<string>();
    for (const ids of productIds.values()) ids.forEach((id) => allIds.add(id));
    for (const l of lives) if (l.pinnedProductId) allIds.add(l.pinnedProductId);
    const pins = await repo.pinsOfMany(lives.filter(hasReplay).map((l) => l.id));
    for (const list of pins.values())
      for (const p of list) if (p.productId) allIds.add(p.productId);
    const cards = await catalog.productCards([...allIds]);
    const shops = new Map<string, ShopRow>();
    for (const l of lives) {
      if (!shops.has(l.shopId)) {
        const shop = await catalog.findShop(l.shopId);
        if (shop) shops.set(shop.id, shop);
      }
    }
    return lives.map((l) => {
      const shop = shops.get(l.shopId)!;
      return {
        id: l.id,
        title: l.title,
        status: l.status,
        scheduledAt: iso(l.scheduledAt),
        startedAt: iso(l.startedAt),
        endedAt: iso(l.endedAt),
        shop: {
          id: shop.id,
          name: shop.name,
          regionCode: shop.regionCode,
          region: regionView(shop.regionCode, locale),
        },
        pinnedProduct: (l.pinnedProductId && cards.get(l.pinnedProductId)) || null,
        products: (productIds.get(l.id) ?? []).flatMap((id) => cards.get(id) ?? []),
        stats: { peakViewers: l.peakViewers, likes: l.likes, chatLines: l.chatLines },
        playback: playbackOf(l),
        thumbnailUrl: l.thumbnailAt
          ? `/api/v1/lives/${l.id}/thumbnail.jpg?v=${l.thumbnailAt.getTime()}`
          : null,
        replay: hasReplay(l)
          ? {
              hls: `/api/v1/lives/${l.id}/hls/replay.m3u8`,
              chapters: chaptersOf(l.replay, pins.get(l.id) ?? [], (id) => cards.get(id)?.title),
              duration: l.replay.duration,
            }
          : null,
        ...(actor && shop.ownerId === actor.user.id && { streamKey: l.streamKey }),
        createdAt: l.createdAt.toISOString(),
      };
    });
  }

  async function ownedLive(actor: Actor, id: string): Promise<{ live: LiveRow; shop: ShopRow }> {
    const shop = await catalog.ownedShop(actor);
    const live = await repo.findLive(id);
    if (!live) throw new AppError('NOT_FOUND', 'Live show not found', 404);
    if (live.shopId !== shop.id)
      throw new AppError('FORBIDDEN', 'This live show is not yours', 403);
    return { live, shop };
  }

  async function one(id: string, locale: Locale, actor: Actor | null): Promise<LiveView> {
    const live = await repo.findLive(id);
    if (!live) throw new AppError('NOT_FOUND', 'Live show not found', 404);
    return (await present([live], locale, actor))[0]!;
  }

  async function move(
    actor: Actor,
    id: string,
    to: LiveStatus,
  ): Promise<{ live: LiveRow; shop: ShopRow }> {
    const { live, shop } = await ownedLive(actor, id);
    assertTransition(LIVE_TRANSITIONS, live.status, to, 'live show');
    const now = clock.now();
    const moved = await repo.transition(
      id,
      live.status,
      to === 'live' ? { status: to, startedAt: now } : { status: to, endedAt: now },
      to === 'live' ? 'live.started' : 'live.ended',
    );
    if (!moved) throw new AppError('CONFLICT', 'The show changed meanwhile, try again', 409);
    return { live: moved, shop };
  }

  return {
    async createLive(
      actor: Actor,
      input: { title: string; scheduledAt?: string; productIds: string[] },
      locale: Locale,
    ) {
      const shop = await catalog.ownedShop(actor);
      const ids = [...new Set(input.productIds)];
      const products = await catalog.productCards(ids);
      const foreign = ids.filter((id) => !products.has(id));
      if (foreign.length > 0) {
        throw new AppError('NOT_FOUND', 'Some products do not exist', 404, {
          field: 'productIds',
          productIds: foreign,
        });
      }
      const owned = await catalog.listProducts({ shopId: shop.id, limit: 1000 }, actor);
      const ownIds = new Set(owned.map((p) => p.id));
      const notMine = ids.filter((id) => !ownIds.has(id));
      if (notMine.length > 0) {
        throw new AppError('FORBIDDEN', 'You can only show your own products', 403, {
          field: 'productIds',
          productIds: notMine,
        });
      }
      const live = await repo.insertLive(
        {
          shopId: shop.id,
          title: input.title.trim(),
          scheduledAt: input.scheduledAt ? new Date(input.scheduledAt) : null,
          streamKey: randomBytes(18).toString('base64url'),
        },
        ids,
      );
      return (await present([live], locale, actor))[0]!;
    },

    getLive: one,

    async listLives(
      filter: Omit<LiveListFilter, 'regionPrefix'> & { region?: string },
      locale: Locale,
      actor: Actor | null,
    ) {
      const rows = await repo.list({
        ...filter,
        regionPrefix: filter.region ? regionPrefix(filter.region) : undefined,
      });
      return present(rows, locale, actor);
    },

    async startLive(actor: Actor, id: string, locale: Locale): Promise<LiveView> {
      const { live, shop } = await move(actor, id, 'live');
      events.emit('live.started', {
        liveId: live.id,
        shopId: shop.id,
        shopName: shop.name,
        title: live.title,
      });
      return one(id, locale, actor);
    },

    async endLive(actor: Actor, id: string, locale: Locale): Promise<LiveView> {
      const { live, shop } = await move(actor, id, 'ended');
      events.emit('live.ended', { liveId: live.id, shopId: shop.id });
      return one(id, locale, actor);
    },

    /** The host deletes a show that is not on air; its recording is deleted after (`live.deleted`). */
    async deleteLive(actor: Actor, id: string): Promise<void> {
      const { live, shop } = await ownedLive(actor, id);
      if (live.status === 'live') {
        throw new AppError('CONFLICT', 'End the show before deleting it', 409, {
          status: live.status,
        });
      }
      const deleted = await repo.deleteLive(id);
      if (!deleted)
        throw new AppError('CONFLICT', 'The show went live meanwhile', 409, { status: 'live' });
      events.emit('live.deleted', { liveId: id, shopId: shop.id });
    },

    async pinProduct(
      actor: Actor,
      id: string,
      productId: string | null,
      locale: Locale,
    ): Promise<LiveView> {
      const { live, shop } = await ownedLive(actor, id);
      if (live.status === 'ended') throw new AppError('LIVE_NOT_LIVE', 'This show has ended', 409);
      let card: PinnedProductCard | null = null;
      if (productId) {
        const product = await catalog.getProduct(productId);
        if (product.shopId !== shop.id) {
          throw new AppError('PRODUCT_NOT_IN_LIVE', 'You can only pin your own products', 422, {
            field: 'productId',
          });
        }
        card = (await catalog.productCards([productId])).get(productId) ?? null;
      }
      await repo.pin(id, productId);
      events.emit('live.pinned', { liveId: id, product: card });
      return one(id, locale, actor);
    },

    /** The room checks this when a viewer connects. */
    async roomInfo(id: string) {
      const live = await repo.findLive(id);
      if (!live) return null;
      const shop = await catalog.findShop(live.shopId);
      const pinned = live.pinnedProductId
        ? ((await catalog.productCards([live.pinnedProductId])).get(live.pinnedProductId) ?? null)
        : null;
      return { live, hostUserId: shop?.ownerId ?? null, pinned };
    },

    /** The live an RTMP encoder publishes to, found by its stream key (id and status only). */
    async findByStreamKey(streamKey: string): Promise<{ id: string; status: LiveStatus } | null> {
      const live = await repo.findLiveByStreamKey(streamKey);
      return live && { id: live.id, status: live.status };
    },

    async liveProductIds(id: string) {
      return repo.productIdsOf(id);
    },

    openLivesWithProduct: (productId: string) => repo.openLivesWithProduct(productId),

    /** The media side reports here; called once when the app is built. */
    attachMedia(probe: LiveMediaProbe): void {
      media = probe;
    },

    /** The recorder, when the show has ended: what the replay covers. */
    recordReplay: (id: string, replay: ReplayTimeline) => repo.setReplay(id, replay),

    /** The recorder grabbed a new thumbnail. */
    recordThumbnail: (id: string, at: Date) => repo.setThumbnailAt(id, at),

    recordStats: (
      id: string,
      stats: { peakViewers?: number; likes?: number; chatLines?: number },
    ) => repo.recordStats(id, stats),
  };
}

export type LivesService = ReturnType<typeof createLivesService>;
