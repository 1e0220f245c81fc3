/**
 * What a newcomer's `hello` shows of a room (the show, its pinned product, open offers and
 * coupons), read once for every newcomer that asks at about the same time: when a show starts,
 * thousands join within seconds, and each used to cost half a dozen queries.
 *
 * Not a cache. A newcomer reads the room's seq (`seqBefore`) before asking; every event up to
 * it must be in the snapshot it gets, and every later one reaches it after its hello. So a
 * newcomer shares a read only if that read began after its own `seqBefore` was taken: the read
 * was started by someone whose `seqBefore` is at least as high. Otherwise it starts a new one.
 */
export class RoomSnapshots<T> {
  private readonly inFlight = new Map<string, { seq: number; read: Promise<T> }>();

  constructor(private readonly load: (liveId: string) => Promise<T>) {}

  get(liveId: string, seqBefore: number): Promise<T> {
    const current = this.inFlight.get(liveId);
    if (current && current.seq >= seqBefore) return current.read;
    const entry = { seq: seqBefore, read: this.load(liveId) };
    this.inFlight.set(liveId, entry);
    const forget = () => {
      if (this.inFlight.get(liveId) === entry) this.inFlight.delete(liveId);
    };
    entry.read.then(forget, forget);
    return entry.read;
  }
}
