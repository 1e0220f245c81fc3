import type { LiveStatus } from '@cunbo/shared';
import type { Transitions } from '../../lib/state-machine.ts';

export const LIVE_TRANSITIONS: Transitions<LiveStatus> = {
  scheduled: ['live', 'ended'],
  live: ['ended'],
  ended: [],
};
