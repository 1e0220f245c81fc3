/**
 * Group commit for one hot row. A batch starts on the event loop's next turn (setImmediate)
 * after its first item, so that every item already read in this turn goes with it; items that
 * arrive while a batch is committing wait and go together in the next one. No timer: under
 * light load a batch is one item and adds no measurable delay; under a storm a batch is
 * whatever arrived during one commit, so one transaction (one row lock, one fsync) serves
 * hundreds of buyers. (Starting at once made a batch of the first winner's retry alone, which
 * cost the next few hundred a whole extra commit.)
 */
export class GroupCommit<In, Out> {
  private queue: Array<{ item: In; resolve: (out: Out) => void; reject: (err: unknown) => void }> =
    [];
  private running = false;

  constructor(
    /** Commits a batch; returns one outcome per item, in order (an Error rejects that item). */
    private readonly commit: (items: In[]) => Promise<Array<Out | Error>>,
    private readonly maxBatch: number,
    private readonly onIdle: () => void = () => undefined,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  submit(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outcomes = await this.commit(batch.map((b) => b.item));
        batch.forEach((b, i) => {
          const out = outcomes[i];
          if (out instanceof Error) b.reject(out);
          else b.resolve(out as Out);
        });
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.running = false;
    this.onIdle();
  }
}
