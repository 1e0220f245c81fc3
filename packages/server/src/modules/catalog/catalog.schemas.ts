import { LIMITS, PRODUCT_CATEGORIES } from '@cunbo/shared';
import { Type } from 'typebox';
import { Nullable, Timestamp, Uuid } from '../../http/schema-helpers.ts';

const Text = (max: number, min = 1) =>
  Type.String({ minLength: min, maxLength: max, ...(min > 0 && { pattern: '\\S' }) });
export const RegionCode = Type.String({
  pattern: '^[0-9]{6}([0-9]{3}([0-9]{3})?)?$',
  description:
    'GB/T 2260 code: 6 digits (province, prefecture, county), 9 (township) or 12 (village)',
});
export const Money = (description: string) =>
  Type.Integer({
    minimum: 1,
    maximum: LIMITS.priceFenMax,
    description: `${description}, in fen (CNY minor units)`,
  });
export const Category = Type.Enum(PRODUCT_CATEGORIES);

export const RegionSchema = Type.Object({
  code: Type.String(),
  name: Type.String(),
  fullName: Type.String(),
  area: Type.String({
    description:
      'Short, for cards and chips: the county, then the township or village when the place is one (寿光市 · 三元朱村)',
  }),
});

export const ShopSchema = Type.Object({
  id: Uuid(),
  ownerId: Uuid(),
  name: Type.String(),
  description: Type.String(),
  regionCode: Type.String(),
  region: Nullable(RegionSchema),
  followers: Type.Integer(),
  createdAt: Timestamp(),
});

export const ShopBody = Type.Object(
  {
    name: Text(LIMITS.shopNameMax),
    description: Type.Optional(Text(LIMITS.shopDescriptionMax, 0)),
    regionCode: RegionCode,
  },
  { additionalProperties: false },
);

export const PhotoSchema = Type.Object({
  id: Uuid(),
  width: Type.Integer(),
  height: Type.Integer(),
  url: Type.String(),
});

export const ProductSchema = Type.Object({
  id: Uuid(),
  shopId: Uuid(),
  title: Type.String(),
  description: Type.String(),
  unit: Type.String({ description: 'What one unit is: kg, box, jin, bag…' }),
  category: Category,
  price: Type.Integer({ description: 'Price of one unit in fen' }),
  traditionalPrice: Nullable(
    Type.Integer({ description: 'What the traditional channel pays for one unit, in fen' }),
  ),
  currency: Type.String(),
  stock: Type.Integer(),
  status: Type.Union([Type.Literal('active'), Type.Literal('archived')]),
  photos: Type.Array(PhotoSchema),
  createdAt: Timestamp(),
  updatedAt: Timestamp(),
});

const productFields = {
  title: Text(LIMITS.productTitleMax),
  description: Type.Optional(Text(LIMITS.productDescriptionMax, 0)),
  unit: Text(LIMITS.productUnitMax),
  category: Type.Optional(Category),
  price: Money('Price of one unit'),
  stock: Type.Integer({ minimum: 0, maximum: LIMITS.stockMax }),
  traditionalPrice: Type.Optional(
    Nullable(Money('What the traditional channel pays for one unit')),
  ),
};

export const ProductBody = Type.Object(productFields, { additionalProperties: false });

export const ProductPatch = Type.Object(
  {
    title: Type.Optional(productFields.title),
    description: productFields.description,
    unit: Type.Optional(productFields.unit),
    category: productFields.category,
    price: Type.Optional(productFields.price),
    stock: Type.Optional(productFields.stock),
    traditionalPrice: productFields.traditionalPrice,
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('archived')])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const ProductList = Type.Object({ products: Type.Array(ProductSchema) });
export const ProductQuery = Type.Object({
  shopId: Type.Optional(Uuid()),
  category: Type.Optional(Category),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }),
  lang: Type.Optional(Type.String()),
});
