export * from './accounts.ts';
export * from './catalog.ts';
export * from './lives.ts';
export * from './social.ts';
export * from './orders.ts';
