/**
 * Natural batching (issue 15): calls made while `inFlight` batches are out wait, and go together in
 * the next batch, up to `maxBatch` at a time. A call that finds a slot free goes at once, in a batch
 * of its own or with the calls of the same turn of the event loop. So when calls arrive one at a
 * time nothing waits, and under load one round trip to the database answers many requests.
 *
 * DataLoader (cache off) keeps the queue and cuts the batches; the slots are kept here, through
 * its batchScheduleFn: a batch is dispatched when it gets a slot, and gives the slot to the next
 * waiting batch when it settles, whether it succeeded or failed. A batch that has waited
 * `maxWaitMs` for a slot goes without one: batches stuck on a silent connection must not hold up
 * every later call (the pool and the statement timeout bound it from there, as for any query).
 * A failed batch fails every call it carried.
 */
import DataLoader from 'dataloader';

export type Coalesced<K, V> = Pick<DataLoader<K, V>, 'load'>;

export function coalescing<K, V>(
  run: (keys: readonly K[]) => Promise<ReadonlyArray<V | Error>>,
  options: { inFlight: number; maxBatch: number; maxWaitMs: number },
): Coalesced<K, V> {
  /** Batches sent or about to be (a slot each, or past their wait), and the batches waiting for a slot. */
  let active = 0;
  const parked: Array<{ dispatch: () => void; timer: NodeJS.Timeout }> = [];
  return new DataLoader<K, V>(
    async (keys) => {
      try {
        return await run(keys);
      } finally {
        // The slot passes to the next waiting batch, if any.
        const next = parked.shift();
        if (next === undefined) active--;
        else {
          clearTimeout(next.timer);
          next.dispatch();
        }
      }
    },
    {
      // Every call reads or writes the database: nothing is remembered between calls.
      cache: false,
      maxBatchSize: options.maxBatch,
      batchScheduleFn: (dispatch) => {
        if (active >= options.inFlight) {
          const waiting = {
            dispatch,
            timer: setTimeout(() => {
              const at = parked.indexOf(waiting);
              if (at < 0) return;
              parked.splice(at, 1);
              active++;
              dispatch();
            }, options.maxWaitMs).unref(),
          };
          parked.push(waiting);
          return;
        }
        active++;
        // After this turn's I/O callbacks: the calls of every request read in this turn go together.
        setImmediate(dispatch);
      },
    },
  );
}
