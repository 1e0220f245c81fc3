import { Type, type TSchema } from 'typebox';

export const Uuid = (description?: string) =>
  Type.String({ format: 'uuid', ...(description && { description }) });
export const Timestamp = (description?: string) =>
  Type.String({ format: 'date-time', ...(description && { description }) });
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
export const IdParams = Type.Object({ id: Uuid() });

/** `{ $ref: 'ErrorBody#' }` for each status, so OpenAPI documents every failure's shape. */
export function errorResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const s of statuses) out[s] = { $ref: 'ErrorBody#' };
  return out;
}
