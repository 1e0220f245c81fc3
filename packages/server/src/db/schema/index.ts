export * from './accounts.ts';
export * from './catalog.ts';
export * from './lives.ts';
export * from './social.ts';
export * from './orders.ts';
export * from './flash.ts';
export * from './fulfilment.ts';
export * from './webhooks.ts';
