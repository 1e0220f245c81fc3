import sharp from 'sharp';
import type { ProductCategory } from '@cunbo/shared';
import type { Actor } from '../modules/accounts/accounts.service.ts';
import { describeRegion, listChildren, type Region } from '../modules/regions/regions.service.ts';
import type { Services } from '../services.ts';

/** The demo county: Shouguang, Weifang, Shandong — China's vegetable capital. */
export const DEMO_COUNTY = '370783';
export const DEMO_PASSWORD = 'cunbo-demo-2026';

interface DemoProduct {
  title: string;
  description: string;
  unit: string;
  category: ProductCategory;
  price: number;
  traditionalPrice: number;
  stock: number;
  color: string;
}

interface DemoSeller {
  email: string;
  name: string;
  shop: string;
  about: string;
  products: DemoProduct[];
}

const SELLERS: DemoSeller[] = [
  {
    email: 'wang.tomato@demo.cunbo',
    name: '王大哥',
    shop: '王家大棚番茄',
    about: '三代种菜，大棚番茄自然成熟，当天采摘当天发货。',
    products: [
      {
        title: '大棚沙瓤番茄',
        description: '自然红熟，不催熟，酸甜多汁。',
        unit: '5斤/箱',
        category: 'vegetables',
        price: 3980,
        traditionalPrice: 2200,
        stock: 120,
        color: '#e53935',
      },
      {
        title: '樱桃小番茄',
        description: '皮薄汁多，孩子爱吃。',
        unit: '3斤/盒',
        category: 'fruit',
        price: 2990,
        traditionalPrice: 1600,
        stock: 80,
        color: '#ff7043',
      },
    ],
  },
  {
    email: 'li.cucumber@demo.cunbo',
    name: '李姐',
    shop: '李姐水果黄瓜',
    about: '水果黄瓜脆甜无苦味，合作社统一品控。',
    products: [
      {
        title: '水果黄瓜',
        description: '顶花带刺，生吃脆甜。',
        unit: '5斤/箱',
        category: 'vegetables',
        price: 2680,
        traditionalPrice: 1500,
        stock: 200,
        color: '#43a047',
      },
      {
        title: '彩椒礼盒',
        description: '红黄绿三色彩椒。',
        unit: '4斤/盒',
        category: 'vegetables',
        price: 3580,
        traditionalPrice: 2000,
        stock: 60,
        color: '#fdd835',
      },
    ],
  },
  {
    email: 'zhang.corn@demo.cunbo',
    name: '张叔',
    shop: '张叔鲜食玉米',
    about: '鲜食糯玉米，真空包装，开袋即食。',
    products: [
      {
        title: '黏玉米（真空装）',
        description: '当季新玉米，软糯香甜。',
        unit: '10穗/箱',
        category: 'grain',
        price: 4500,
        traditionalPrice: 2570,
        stock: 150,
        color: '#f9a825',
      },
      {
        title: '玉米面',
        description: '石磨玉米面，做窝头、粥都好。',
        unit: '5斤/袋',
        category: 'grain',
        price: 2500,
        traditionalPrice: 1400,
        stock: 90,
        color: '#ffca28',
      },
    ],
  },
  {
    email: 'zhao.eggs@demo.cunbo',
    name: '赵嫂',
    shop: '赵嫂散养土鸡蛋',
    about: '果园散养土鸡，吃虫吃草，蛋黄红亮。',
    products: [
      {
        title: '散养土鸡蛋',
        description: '30枚装，破损包赔。',
        unit: '30枚/箱',
        category: 'eggs_dairy',
        price: 4800,
        traditionalPrice: 3000,
        stock: 100,
        color: '#ffe0b2',
      },
    ],
  },
  {
    email: 'sun.honey@demo.cunbo',
    name: '孙师傅',
    shop: '孙师傅槐花蜜',
    about: '自家蜂场，槐花蜜、枣花蜜，不掺一滴糖。',
    products: [
      {
        title: '槐花蜜',
        description: '清香淡雅，结晶慢。',
        unit: '1斤/瓶',
        category: 'honey',
        price: 6800,
        traditionalPrice: 4000,
        stock: 70,
        color: '#ffb300',
      },
      {
        title: '枣花蜜',
        description: '浓郁醇厚。',
        unit: '1斤/瓶',
        category: 'honey',
        price: 5800,
        traditionalPrice: 3500,
        stock: 50,
        color: '#8d6e63',
      },
    ],
  },
  {
    email: 'co-op.shouguang@demo.cunbo',
    name: '合作社小刘',
    shop: '寿光蔬菜合作社',
    about: '二十户菜农联合发货，品种全、价格实在。',
    products: [
      {
        title: '时令蔬菜组合',
        description: '每周六种时令菜，按季节搭配。',
        unit: '8斤/箱',
        category: 'vegetables',
        price: 5900,
        traditionalPrice: 3300,
        stock: 40,
        color: '#66bb6a',
      },
      {
        title: '紫茄子',
        description: '皮亮肉嫩。',
        unit: '5斤/箱',
        category: 'vegetables',
        price: 2280,
        traditionalPrice: 1300,
        stock: 110,
        color: '#7e57c2',
      },
      {
        title: '山药',
        description: '铁棍山药，粉糯。',
        unit: '5斤/箱',
        category: 'vegetables',
        price: 4980,
        traditionalPrice: 2900,
        stock: 3,
        color: '#a1887f',
      },
    ],
  },
];

/** Two townships (towns, 镇) of the county and, in them, five villages (村). */
function demoPlaces(): { townships: Region[]; villages: Region[] } {
  const towns = listChildren(DEMO_COUNTY).filter((t) => t.name.zh.endsWith('镇'));
  const townships = towns.slice(0, 2);
  const villages: Region[] = [];
  townships.forEach((t, i) => {
    const inTown = listChildren(t.code).filter((v) => v.name.zh.includes('村'));
    villages.push(...inTown.slice(0, i === 0 ? 3 : 2));
  });
  if (townships.length < 2 || villages.length < 5)
    throw new Error('The region table lacks the demo county');
  return { townships, villages };
}

/** A plain photo-like picture per product, so the demo shows images without shipping any. */
async function productPicture(color: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="800" height="800">
    <defs><radialGradient id="g" cx="40%" cy="35%" r="70%"><stop offset="0" stop-color="#fff" stop-opacity=".55"/><stop offset="1" stop-color="${color}" stop-opacity="1"/></radialGradient></defs>
    <rect width="800" height="800" fill="#f4efe6"/><ellipse cx="400" cy="610" rx="250" ry="40" fill="#000" opacity=".12"/>
    <circle cx="400" cy="400" r="230" fill="url(#g)"/><path d="M400 170 q40 -60 100 -40 q-50 20 -80 70z" fill="#2e7d32"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/**
 * Fills a demo region: a county, two townships, five villages, six sellers with products,
 * a live show on air and a scheduled one, a buyer and an operator. Running it twice
 * changes nothing.
 */
export async function seedDemo(services: Services): Promise<string> {
  const { accounts, catalog, lives } = services;
  try {
    await accounts.login({ email: SELLERS[0]!.email, password: DEMO_PASSWORD });
    return 'The demo region is already there.';
  } catch {
    // Not seeded yet.
  }
  const { townships, villages } = demoPlaces();
  const actorOf = async (email: string, name: string, role: 'buyer' | 'seller'): Promise<Actor> => {
    const s = await accounts.register({
      email,
      password: DEMO_PASSWORD,
      displayName: name,
      role,
      locale: 'zh',
    });
    const actor = await accounts.authenticate(s.token);
    return actor!;
  };

  const hosts: Array<{ actor: Actor; productIds: string[] }> = [];
  for (const [i, seller] of SELLERS.entries()) {
    let actor = await actorOf(seller.email, seller.name, 'seller');
    const place = villages[i % villages.length]!;
    await catalog.saveShop(
      actor,
      { name: seller.shop, description: seller.about, regionCode: place.code },
      'zh',
    );
    actor = (await accounts.authenticate(
      (await accounts.login({ email: seller.email, password: DEMO_PASSWORD })).token,
    ))!;
    const productIds: string[] = [];
    for (const p of seller.products) {
      const product = await catalog.createProduct(actor, p);
      await catalog.addPhoto(actor, product.id, await productPicture(p.color));
      productIds.push(product.id);
    }
    hosts.push({ actor, productIds });
  }

  const [onAir, upcoming, coop] = [hosts[0]!, hosts[2]!, hosts[5]!];
  const live = await lives.createLive(
    onAir.actor,
    { title: '大棚现摘番茄，直播间专享价', productIds: onAir.productIds },
    'zh',
  );
  await lives.startLive(onAir.actor, live.id, 'zh');
  await lives.pinProduct(onAir.actor, live.id, onAir.productIds[0]!, 'zh');
  const tomorrow = new Date(Date.now() + 86_400_000);
  tomorrow.setUTCHours(11, 0, 0, 0);
  await lives.createLive(
    upcoming.actor,
    {
      title: '新玉米上市：带你看玉米地',
      scheduledAt: tomorrow.toISOString(),
      productIds: upcoming.productIds,
    },
    'zh',
  );
  const inTwoDays = new Date(tomorrow.getTime() + 86_400_000);
  await lives.createLive(
    coop.actor,
    { title: '合作社蔬菜大集', scheduledAt: inTwoDays.toISOString(), productIds: coop.productIds },
    'zh',
  );

  await actorOf('buyer@demo.cunbo', '城里的小陈', 'buyer');
  const operator = await accounts.createOperator(null, {
    email: 'operator@demo.cunbo',
    password: DEMO_PASSWORD,
    displayName: '寿光电商园',
  });
  // Each demo township gathers its sellers' parcels at its hub, run by the park's operator.
  for (const township of townships) {
    const hub = await services.fulfilment.ensureHub({
      regionCode: township.code,
      name: `${township.name.zh}电商集货站`,
      address: `${township.name.zh}电商服务站`,
    });
    await services.fulfilment.attachOperator(hub.id, operator.id, operator.role);
  }

  const county = describeRegion(DEMO_COUNTY, 'zh')!;
  return [
    `Demo region ready in ${county.fullName}: ${SELLERS.length} sellers in ${villages.length} villages, one show live, two scheduled.`,
    `Sign in with any of these (password ${DEMO_PASSWORD}):`,
    `  seller   ${SELLERS[0]!.email}   (on air now)`,
    `  buyer    buyer@demo.cunbo`,
    `  operator operator@demo.cunbo   (runs the hubs of ${townships.map((t) => t.name.zh).join(' and ')})`,
  ].join('\n');
}
