import { CryptoLambdaError, type Rejected } from '../domain/index.js';
import type { Source, SourceBatch } from '../ingest/index.js';

/** Error codes of a run whose input gave nothing usable. */
export const REJECT_ERRORS = {
  /** Every record of the input was rejected: no trade came out of it. */
  allRejected: 'CLI_ALL_REJECTED',
} as const;

/** Rejected records shown in a summary, at most. */
const EXAMPLES = 3;
/** A payload shown in a summary is cut here: it may be a whole line of garbage. */
const PAYLOAD_CHARS = 80;

/**
 * What a run made of its input: trades (duplicates included) and rejected records by reason,
 * with the first few rejected ones to show.
 */
export interface RejectTally {
  add(batch: SourceBatch): void;
  readonly trades: number;
  readonly rejected: number;
  /** `bad_csv: 12, invalid_price: 1` */
  reasons(): string;
  /** The first rejected records, one line each: where, why, what. */
  examples(): string[];
}

export function tallyRejects(): RejectTally {
  const byReason = new Map<string, number>();
  const first: Rejected[] = [];
  let trades = 0;
  let rejected = 0;
  return {
    add(batch) {
      trades += batch.trades.length;
      rejected += batch.rejected.length;
      for (const r of batch.rejected) {
        byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
        if (first.length < EXAMPLES) first.push(r);
      }
    },
    get trades() {
      return trades;
    },
    get rejected() {
      return rejected;
    },
    reasons: () => [...byReason].map(([reason, n]) => `${reason}: ${n}`).join(', '),
    examples: () =>
      first.map((r) => {
        const payload =
          r.payload.length > PAYLOAD_CHARS ? `${r.payload.slice(0, PAYLOAD_CHARS)}…` : r.payload;
        return `${r.origin} ${r.reason}: ${r.detail} (${JSON.stringify(payload)})`;
      }),
  };
}

/** The source, its batches counted into `tally` on their way. */
export function tapSource(source: Source, tally: RejectTally): Source {
  return {
    name: source.name,
    state: () => source.state(),
    async *batches(options) {
      for await (const batch of source.batches(options)) {
        tally.add(batch);
        yield batch;
      }
    },
  };
}

/**
 * The rule of `candles` and `replay`: an input whose every record was rejected is an error (exit
 * 1, `CLI_ALL_REJECTED`); some rejected among trades is a warning, and the run succeeds. Returns
 * the lines to print first (the count, why, the first rejected records) and the error to throw.
 * @param where where all the rejected records can be seen, for the message.
 */
export function judgeRejects(
  input: string,
  tally: RejectTally,
  where: string,
): { lines: string[]; error: CryptoLambdaError | undefined } {
  if (tally.rejected === 0) return { lines: [], error: undefined };
  const first = tally.examples().map((line) => `  ${line}`);
  if (tally.trades > 0) {
    const head = `${tally.rejected} record(s) rejected (${tally.reasons()}) beside ${tally.trades} trades; ${where}. The first:`;
    return { lines: [head, ...first], error: undefined };
  }
  return {
    lines: [`rejected records of ${input}, the first:`, ...first],
    error: new CryptoLambdaError(
      REJECT_ERRORS.allRejected,
      `every record of ${input} was rejected (${tally.rejected}: ${tally.reasons()}) and no trade came out of it; ` +
        `check that it is the file, --format and --symbol you meant (${where})`,
    ),
  };
}
