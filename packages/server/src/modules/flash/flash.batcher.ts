/**
 * Group commit for one hot row. A batch starts on the event loop's next turn (setImmediate)
 * after its first item, so that every item already read in this turn goes with it; items that
 * arrive while a batch is committing wait and go together in the next one. No timer: under
 * light load a batch is one item and adds no measurable delay; under a storm a batch is
 * whatever arrived during one commit, so one transaction (one row lock, one fsync) serves
 * hundreds of buyers. (Starting at once made a batch of the first winner's retry alone, which
 * cost the next few hundred a whole extra commit.)
 *
 * Pipelined (`pipelined: true`, for PostgreSQL): a batch may call `handOver()` once it holds
 * the row and has nothing left to send but its last statements; the next batch then starts
 * with what has queued, opens its transaction and asks for the row, which the database hands
 * it the moment the first commits, instead of after round trips through a busy event loop.
 * Batches still take the row in the order they were made, since each asks for it only after
 * its predecessor holds it. Without pipelining (PGlite: one connection, one transaction at a
 * time) the next batch waits for the previous one to finish.
 */
export class GroupCommit<In, Out> {
  private queue: Array<{ item: In; resolve: (out: Out) => void; reject: (err: unknown) => void }> =
    [];
  /** A batch has started and not handed over yet: the next one waits. */
  private holding = false;
  private inFlight = 0;
  private scheduled = false;

  constructor(
    /**
     * Commits a batch; returns one outcome per item, in order (an Error rejects that item).
     * `handOver` lets the next batch start (see above); calling it is optional.
     */
    private readonly commit: (items: In[], handOver: () => void) => Promise<Array<Out | Error>>,
    private readonly maxBatch: number,
    private readonly onIdle: () => void = () => undefined,
    private readonly pipelined = false,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.holding || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.startBatch();
    });
  }

  private startBatch(): void {
    if (this.holding || this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    this.holding = true;
    this.inFlight += 1;
    let handedOver = false;
    const handOver = () => {
      if (handedOver) return;
      handedOver = true;
      this.holding = false;
      this.schedule();
    };
    void this.run(batch, this.pipelined ? handOver : () => undefined).finally(() => {
      this.inFlight -= 1;
      handOver();
      if (this.inFlight === 0 && this.queue.length === 0) this.onIdle();
    });
  }

  private async run(
    batch: Array<{ item: In; resolve: (out: Out) => void; reject: (err: unknown) => void }>,
    handOver: () => void,
  ): Promise<void> {
    try {
      const outcomes = await this.commit(
        batch.map((b) => b.item),
        handOver,
      );
      batch.forEach((b, i) => {
        const out = outcomes[i];
        if (out instanceof Error) b.reject(out);
        else b.resolve(out as Out);
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
