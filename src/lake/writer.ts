import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoLambdaError, type Trade, type UnixMs } from '../domain/index.js';
import {
  type AppendAck,
  checkConsumerOffsets,
  decodeRawBatchHeader,
  type EventLog,
  TOPICS,
  type TopicDef,
} from '../log/index.js';
import { type BronzeFormatter, startBronzeFormatter } from './bronze-formatter.js';
import { type BronzeStore, createBronzeStore } from './bronze-store.js';
import { LAKE_ERRORS } from './errors.js';
import { commitFlush, type LakeChange } from './flush.js';
import { HOUR_MS, hourOf, MANIFEST_FILE } from './layout.js';
import { type LakeManifest, listedFiles, loadManifest, type SilverHour } from './manifest.js';
import { openSilverStore, type SilverStore } from './silver-store.js';
import { createIdChains } from './staging.js';
import { sweepFiles } from './sweep.js';

/**
 * The lake writer: a log consumer that keeps every trade in silver (Parquet, deduplicated) and,
 * given the `raw` topic, every payload as received in bronze. It seals a venue's hour once the
 * venue's watermark (largest event time − `maxOutOfOrdernessMs`) passes the hour's end plus
 * `allowedLatenessMs` (ARCHITECTURE.md §5); batch jobs read sealed hours only.
 */
export interface LakeWriterOptions {
  /** @default 60_000 */
  allowedLatenessMs: number;
  /** @default 1000 */
  maxOutOfOrdernessMs: number;
  /**
   * Live mode: once a venue has had no trade for this long (wall clock), its hours that ended
   * `maxOutOfOrdernessMs + allowedLatenessMs` ago by the wall clock are sealed too, up to the
   * hour of its newest trade. So a finished replay, or a quiet market, gets its batch views.
   * @default 10_000
   */
  idleSealMs: number;
  /** Commit what is staged at least this often. @default 10_000 */
  flushIntervalMs: number;
  /** …and whenever this many trades are staged. @default 1_000_000 */
  flushRows: number;
  /** Records read per partition per step. @default 10_000 */
  readBatchRecords: number;
  /** Replaced files stay this long for readers that still use them. @default 300_000 */
  garbageGraceMs: number;
  /** Trades handed over by `offer` and not yet staged, at most. @default 200_000 */
  maxInboxTrades: number;
}

export const LAKE_WRITER_DEFAULTS: LakeWriterOptions = {
  allowedLatenessMs: 60_000,
  maxOutOfOrdernessMs: 1000,
  idleSealMs: 10_000,
  flushIntervalMs: 10_000,
  flushRows: 1_000_000,
  readBatchRecords: 10_000,
  garbageGraceMs: 300_000,
  maxInboxTrades: 200_000,
};

export interface OpenLakeWriterOptions extends Partial<LakeWriterOptions> {
  lakeDir: string;
  /** Live mode seals idle venues on the wall clock; replays and backfills seal on event time and `catchUp({ sealAll })`. */
  live: boolean;
  /** Keep the `raw` topic's payloads in bronze. @default true */
  bronze?: boolean;
  /** @default Date.now */
  clock?: () => UnixMs;
}

export interface LakeWriter {
  /** Consumes and commits until `signal` aborts, then commits what is staged. */
  run(signal: AbortSignal): Promise<void>;
  /** Consumes to the log's current end and commits; `sealAll` also seals every hour with data (end of input). */
  catchUp(options?: { sealAll?: boolean }): Promise<void>;
  /** Called after each commit with what changed for the batch jobs. */
  onChange(listener: (changes: readonly LakeChange[]) => void): () => void;
  /** The last committed manifest. */
  manifest(): Readonly<LakeManifest>;
  /** Trades consumed since open. */
  tradesConsumed(): number;
  /**
   * Hands over trades the log writer of this process just appended, with their acks (write
   * ahead, then apply, as the speed layer takes them). Optional: without it everything is read
   * from the log. Offers beyond `maxInboxTrades` waiting are dropped (and read from the log).
   */
  offer(trades: readonly Trade[], acks: readonly AppendAck[]): void;
  close(): Promise<void>;
}

export async function openLakeWriter(log: EventLog, options: OpenLakeWriterOptions): Promise<LakeWriter> {
  const opts: LakeWriterOptions = { ...LAKE_WRITER_DEFAULTS, ...definedOnly(options) };
  for (const [name, value] of Object.entries(opts)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new CryptoLambdaError(
        LAKE_ERRORS.badOptions,
        `lake option ${name} must be a number ≥ 0, got ${value}`,
      );
    }
  }
  const { lakeDir, live } = options;
  const clock = options.clock ?? Date.now;
  await mkdir(lakeDir, { recursive: true });
  let manifest = await loadManifest(lakeDir);
  const listed = listedFiles(manifest);
  await sweepFiles(lakeDir, ['silver', 'bronze'], (rel) => !listed.has(rel));

  const topics: TopicDef<unknown>[] = [TOPICS.trades as TopicDef<unknown>];
  if (options.bronze !== false) topics.push(TOPICS.raw as TopicDef<unknown>);
  const pending: Record<string, number[]> = {};
  for (const def of topics) {
    await log.createTopic(def.name, def.config);
    const committed = manifest.offsets[def.name] ?? [];
    pending[def.name] = Array.from({ length: def.config.partitions }, (_, p) => committed[p] ?? 0);
    await checkConsumerOffsets(log, def.name, committed, `the lake writer (${join(lakeDir, MANIFEST_FILE)})`);
  }
  // Started once the checks passed: a writer that fails to open leaves no thread behind.
  const formatter = options.bronze !== false ? startBronzeFormatter() : undefined;
  // Two sets of stores: while one commits in the background (DuckDB writes Parquet on its own
  // threads), the consumer stages into the other.
  const chains = createIdChains(randomUUID());
  let silver: SilverStore = await openSilverStore(chains);
  let spareSilver: SilverStore = await openSilverStore(chains);
  let bronze: BronzeStore = createBronzeStore();
  let spareBronze: BronzeStore = createBronzeStore();
  /** Venue progress as consumed (the manifest has it as of the last commit). */
  const venues: LakeManifest['venues'] = structuredClone(manifest.venues);
  let committing: Promise<void> = Promise.resolve();
  let commitError: unknown;
  const listeners = new Set<(changes: readonly LakeChange[]) => void>();
  let lastFlushMs = clock();
  let consumed = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };

  /** Notes the venues' progress after trades were staged; returns the largest `ts` among them. */
  const staged = (rows: number): UnixMs => {
    const nowMs = clock();
    let batchMaxTs = Number.NEGATIVE_INFINITY;
    for (const [name, maxTs] of silver.takeVenueMaxTs()) {
      if (maxTs > batchMaxTs) batchMaxTs = maxTs;
      const venue = venues[name];
      if (venue === undefined) venues[name] = { maxTs, sealedUntilTs: -1, lastArrivalMs: nowMs };
      else {
        if (maxTs > venue.maxTs) venue.maxTs = maxTs;
        venue.lastArrivalMs = nowMs;
      }
    }
    consumed += rows;
    return batchMaxTs;
  };
  /**
   * Per trades partition, the largest event time consumed, and whether it is behind the log's end
   * (its last read filled a whole batch). A venue's watermark never passes a partition that is
   * behind: catching up partition by partition, one read ahead in one partition must not make
   * trades still unread in another one late.
   */
  const partitions = (pending[TOPICS.trades.name] as number[]).map(() => ({
    maxTs: Number.NEGATIVE_INFINITY,
    behind: true,
  }));
  const noteRead = (p: number, records: number, maxTs: UnixMs): void => {
    const state = partitions[p];
    if (state === undefined) return;
    if (maxTs > state.maxTs) state.maxTs = maxTs;
    state.behind = records >= opts.readBatchRecords;
  };

  /**
   * Trades handed over by the log writer in this process (`offer`), taken while they continue
   * each partition exactly at the next offset to consume: the lake need not read back and decode
   * what it was just given. Anything else (a gap, an overflowing inbox) is read from the log.
   */
  let inbox: { trades: readonly Trade[]; acks: readonly AppendAck[] }[] = [];
  /** Ends the run loop's wait for input, when it waits. */
  let wakeUp: (() => void) | undefined;
  let inboxTrades = 0;
  const drainInbox = (): number => {
    if (inbox.length === 0) return 0;
    const offers = inbox;
    inbox = [];
    inboxTrades = 0;
    const offsets = pending[TOPICS.trades.name] as number[];
    const taken: Trade[] = [];
    for (const { trades, acks } of offers) {
      for (let i = 0; i < trades.length; i++) {
        const ack = acks[i] as AppendAck;
        if (ack.offset !== offsets[ack.partition]) continue;
        offsets[ack.partition] = ack.offset + 1;
        const trade = trades[i] as Trade;
        const state = partitions[ack.partition];
        if (state !== undefined && trade.ts > state.maxTs) state.maxTs = trade.ts;
        taken.push(trade);
      }
    }
    silver.append(taken);
    staged(taken.length);
    return taken.length;
  };

  const consumeOnce = async (): Promise<number> => {
    let n = drainInbox();
    for (const def of topics) {
      const offsets = pending[def.name] as number[];
      for (let p = 0; p < offsets.length; p++) {
        const records = await log.read(def.name, p, offsets[p] as number, {
          maxRecords: opts.readBatchRecords,
        });
        if (def === topics[0] && records.length === 0) noteRead(p, 0, Number.NEGATIVE_INFINITY);
        if (records.length === 0) continue;
        offsets[p] = (records[records.length - 1]?.offset ?? 0) + 1;
        n += records.length;
        if (def === topics[0]) {
          silver.appendEncoded(records.map((r) => r.value));
          noteRead(p, records.length, staged(records.length));
        } else {
          for (const record of records) {
            const header = decodeRawBatchHeader(record.value);
            bronze.append(header.source, header.recvTs, (formatter as BronzeFormatter).format(record.value));
          }
        }
      }
    }
    return n;
  };

  /** Per venue, the end of the hours that may be sealed now. */
  const frontiers = (sealAll: boolean): Map<string, UnixMs> => {
    const nowMs = clock();
    const out = new Map<string, UnixMs>();
    let behindTs = Number.POSITIVE_INFINITY;
    for (const state of partitions) if (state.behind && state.maxTs < behindTs) behindTs = state.maxTs;
    for (const [name, v] of Object.entries(venues)) {
      const newestHourEnd = hourOf(v.maxTs) + HOUR_MS;
      let until = Math.max(
        v.sealedUntilTs,
        hourOf(Math.min(v.maxTs, behindTs) - opts.maxOutOfOrdernessMs - opts.allowedLatenessMs),
      );
      if (sealAll) until = Math.max(until, newestHourEnd);
      else if (live && nowMs - v.lastArrivalMs >= opts.idleSealMs) {
        const wallUntil = hourOf(nowMs - opts.maxOutOfOrdernessMs - opts.allowedLatenessMs);
        until = Math.max(until, Math.min(wallUntil, newestHourEnd));
      }
      out.set(name, until);
    }
    return out;
  };

  // The open hours of the last commit: asked after every read, they are listed once per commit
  // rather than found among every hour the lake ever held.
  let openHoursOf: LakeManifest | undefined;
  let openHours: SilverHour[] = [];
  const sealDue = (): boolean => {
    if (openHoursOf !== manifest) {
      openHours = Object.values(manifest.hours).filter((h) => !h.sealed);
      openHoursOf = manifest;
    }
    if (openHours.length === 0) return false;
    const until = frontiers(false);
    return openHours.some((h) => h.hourTs + HOUR_MS <= (until.get(h.venue) ?? -Infinity));
  };

  /**
   * Cuts what is staged (with the offsets it came from) and commits it in the background; the
   * next cut waits for this commit, so commits stay in order and at most one is in flight.
   * `waited`: the caller waits for this commit, nothing is consumed meanwhile, and DuckDB gets
   * two threads; a commit in the background gets one, leaving a core to the consumer.
   */
  const startFlush = async (sealAll: boolean, waited = false): Promise<void> => {
    await committing;
    if (commitError !== undefined) throw commitError;
    const nowMs = clock();
    const plan = {
      lakeDir,
      sealUntil: frontiers(sealAll),
      bronzeSealBeforeTs: sealAll ? Infinity : hourOf(nowMs - opts.maxOutOfOrdernessMs),
      offsets: structuredClone(pending),
      venues: structuredClone(venues),
      nowMs,
      garbageGraceMs: opts.garbageGraceMs,
    };
    const cutSilver = silver;
    const cutBronze = bronze;
    [silver, spareSilver] = [spareSilver, silver];
    [bronze, spareBronze] = [spareBronze, bronze];
    lastFlushMs = nowMs;
    committing = cutSilver
      .useThreads(waited ? 2 : 1)
      .then(() => commitFlush(manifest, cutSilver, cutBronze, plan))
      .then(
        (result) => {
          manifest = result.manifest;
          for (const [name, v] of Object.entries(result.manifest.venues)) {
            const live = venues[name];
            if (live !== undefined) live.sealedUntilTs = Math.max(live.sealedUntilTs, v.sealedUntilTs);
          }
          // A sealed hour's later trades are compacted with dedupe: its chains are done with.
          for (const change of result.changes) chains.forget(change.venue, change.hourTs);
          if (result.changes.length > 0) for (const listener of listeners) listener(result.changes);
        },
        (error: unknown) => {
          commitError ??= error;
        },
      );
  };
  const flush = async (sealAll: boolean): Promise<void> => {
    await startFlush(sealAll, true);
    await committing;
    if (commitError !== undefined) throw commitError;
  };

  const flushDue = (): boolean =>
    silver.stagedRows() >= opts.flushRows ||
    ((silver.stagedRows() > 0 || bronze.stagedRecords() > 0) &&
      clock() - lastFlushMs >= opts.flushIntervalMs) ||
    sealDue();

  return {
    async run(signal) {
      while (!signal.aborted) {
        const n = await exclusive(consumeOnce);
        if (flushDue()) await exclusive(() => startFlush(false));
        // Nothing to read: wait for the log (polled) or for trades handed over (at once).
        if (n === 0) {
          await idle(signal, 200, (wake) => {
            wakeUp = wake;
          });
          wakeUp = undefined;
        }
      }
      await exclusive(() => flush(false));
    },
    catchUp: (catchUpOptions = {}) =>
      exclusive(async () => {
        while ((await consumeOnce()) > 0) {
          // With every partition read to its end, the final commit below comes next, waited for.
          if (silver.stagedRows() >= opts.flushRows && partitions.some((p) => p.behind))
            await startFlush(false);
        }
        await flush(catchUpOptions.sealAll === true);
      }),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    manifest: () => manifest,
    tradesConsumed: () => consumed,
    offer(trades, acks) {
      if (inboxTrades + trades.length > opts.maxInboxTrades) return;
      inbox.push({ trades, acks });
      inboxTrades += trades.length;
      wakeUp?.();
    },
    async close() {
      await chain;
      await committing;
      silver.close();
      spareSilver.close();
      await formatter?.close();
    },
  };
}

function definedOnly(options: OpenLakeWriterOptions): Partial<LakeWriterOptions> {
  const out: Partial<LakeWriterOptions> = {};
  for (const key of Object.keys(LAKE_WRITER_DEFAULTS) as (keyof LakeWriterOptions)[]) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Waits `ms`, or less when `signal` aborts or the function handed to `setWake` is called. */
function idle(signal: AbortSignal, ms: number, setWake: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    setWake(done);
  });
}
