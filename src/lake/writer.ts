import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CryptoLambdaError,
  type RawBatch,
  resolveTimePolicy,
  TIME_POLICY_DEFAULTS,
  type TimePolicy,
  type Trade,
  type UnixMs,
  watermarkOf,
} from '../domain/index.js';
import {
  type AppendAck,
  type ConsumedRound,
  consume,
  createHandoff,
  decodeRawBatchHeader,
  type EventLog,
  TOPICS,
} from '../log/index.js';
import { type BronzeFormatter, startBronzeFormatter } from './bronze-formatter.js';
import { type CommitCut, openLakeCommitter } from './committer.js';
import { LAKE_ERRORS } from './errors.js';
import type { ExternalCommit, LakeChange } from './flush.js';
import { hourOf, MANIFEST_FILE } from './layout.js';
import { type LakeManifest, listedFiles, loadManifest } from './manifest.js';
import { createSealClock } from './seal-clock.js';
import { sweepFiles } from './sweep.js';

/**
 * The lake writer: a log consumer that keeps every trade in silver (Parquet, deduplicated) and,
 * given the `raw` topic, every payload as received in bronze. It seals a venue's hour once the
 * venue's watermark (largest event time − `maxOutOfOrdernessMs`) passes the hour's end plus
 * `allowedLatenessMs` (ARCHITECTURE.md §5); batch jobs read sealed hours only.
 */
export interface LakeWriterOptions {
  /**
   * The event-time bounds hours are sealed by: the process's one policy, shared with the speed
   * layer (the merge at the batch watermark is right only while both agree).
   * @default TIME_POLICY_DEFAULTS
   */
  time: TimePolicy;
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
  /** Per trades partition, trades handed over by `offer` and not yet staged, at most. @default 50_000 */
  handoffPerPartition: number;
}

export const LAKE_WRITER_DEFAULTS: LakeWriterOptions = {
  time: TIME_POLICY_DEFAULTS,
  idleSealMs: 10_000,
  flushIntervalMs: 10_000,
  flushRows: 1_000_000,
  readBatchRecords: 10_000,
  garbageGraceMs: 300_000,
  handoffPerPartition: 50_000,
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
   * from the log. Offers beyond `handoffPerPartition` waiting in a partition are dropped (and read from the log).
   */
  offer(trades: readonly Trade[], acks: readonly AppendAck[]): void;
  /**
   * Runs `commit` (a bulk load's, `openBulkLoader`) between two of the writer's own commits and
   * takes its manifest as its own, leaving the open hours it names held (see `ExternalCommit`).
   */
  commitBeside(commit: ExternalCommit): Promise<LakeChange[]>;
  close(): Promise<void>;
}

export async function openLakeWriter(log: EventLog, options: OpenLakeWriterOptions): Promise<LakeWriter> {
  const opts = resolveOptions(options);
  const { lakeDir, live } = options;
  const clock = options.clock ?? Date.now;
  await mkdir(lakeDir, { recursive: true });
  const initial = await loadManifest(lakeDir);
  const listed = listedFiles(initial);
  await sweepFiles(lakeDir, ['silver', 'bronze'], (rel) => !listed.has(rel));

  const { trades: tradesDef, raw: rawDef } = TOPICS;
  const handoff = createHandoff<Trade>(tradesDef.config.partitions, opts.handoffPerPartition);
  const from = (topic: string): { from?: number[] } => {
    const offsets = initial.offsets[topic];
    return offsets === undefined ? {} : { from: offsets };
  };
  const read = { maxRecords: opts.readBatchRecords, idleMs: POLL_MS };
  const who = `the lake writer (${join(lakeDir, MANIFEST_FILE)})`;
  const trades = await consume(log, tradesDef, {
    name: who,
    ...from(tradesDef.name),
    ...read,
    handoff,
  });
  const raw =
    options.bronze === false
      ? undefined
      : await consume(log, rawDef, { name: who, ...from(rawDef.name), ...read });
  // Started at the first raw record: a process that brings no raw payloads (a backfill of dumps,
  // which keeps its files in bronze itself) does not pay for the worker thread.
  let formatter: BronzeFormatter | undefined;
  const seal = createSealClock(initial.venues, {
    time: opts.time,
    idleSealMs: opts.idleSealMs,
    live,
    partitions: tradesDef.config.partitions,
  });
  const committer = await openLakeCommitter(initial, { lakeDir, garbageGraceMs: opts.garbageGraceMs, clock });
  committer.onCommitted((manifest) => seal.adopt(manifest.venues));
  /** Open hours a bulk load beside the writer is still filling (see `commitBeside`): not sealed here. */
  let held: ReadonlySet<string> = new Set();
  let lastFlushMs = clock();
  let consumed = 0;
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const stageTrades = (round: ConsumedRound<Trade>): void => {
    for (const batch of round.batches) {
      const silver = committer.silver();
      if (batch.offered.length > 0) silver.append(batch.offered);
      else silver.appendEncoded(batch.records.map((r) => r.value));
      seal.partitionMaxTs(batch.partition, seal.staged(silver.takeVenueMaxTs(), clock()));
    }
    seal.partitionsBehind(round.behind);
    consumed += round.count;
  };
  const stageRaw = (round: ConsumedRound<RawBatch>): void => {
    for (const batch of round.batches) {
      for (const record of batch.records) {
        const header = decodeRawBatchHeader(record.value);
        formatter ??= startBronzeFormatter();
        committer.bronze().append(header.source, header.recvTs, formatter.format(record.value));
      }
    }
  };
  const consumeOnce = async (): Promise<number> => {
    const tradeRound = await trades.poll();
    stageTrades(tradeRound);
    const rawRound = await raw?.poll();
    if (rawRound !== undefined) stageRaw(rawRound);
    return tradeRound.count + (rawRound?.count ?? 0);
  };

  const cut = (sealAll: boolean) => (): CommitCut => {
    const nowMs = clock();
    lastFlushMs = nowMs;
    const offsets: Record<string, number[]> = { [tradesDef.name]: trades.positions() };
    if (raw !== undefined) offsets[rawDef.name] = raw.positions();
    return {
      sealUntil: seal.frontiers(sealAll, nowMs),
      bronzeSealBeforeTs: sealAll ? Number.POSITIVE_INFINITY : hourOf(watermarkOf(nowMs, opts.time)),
      held,
      offsets,
      venues: seal.venues(),
    };
  };
  const flushDue = (): boolean => {
    const silver = committer.silver();
    return (
      silver.stagedRows() >= opts.flushRows ||
      ((silver.stagedRows() > 0 || committer.bronze().stagedRecords() > 0) &&
        clock() - lastFlushMs >= opts.flushIntervalMs) ||
      seal.sealDue(committer.manifest(), clock(), held)
    );
  };
  const waitForInput = async (signal: AbortSignal): Promise<void> => {
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    await Promise.race([
      trades.wait(POLL_MS),
      ...(raw === undefined ? [] : [raw.wait(POLL_MS)]),
      aborted(stop.signal),
    ]);
    signal.removeEventListener('abort', onAbort);
    stop.abort();
  };

  return {
    async run(signal) {
      while (!signal.aborted) {
        const n = await exclusive(consumeOnce);
        if (flushDue()) await exclusive(() => committer.commit(cut(false), false));
        if (n === 0) await waitForInput(signal);
      }
      await exclusive(() => committer.commit(cut(false), true));
    },
    catchUp: (catchUpOptions = {}) =>
      exclusive(async () => {
        while ((await consumeOnce()) > 0) {
          // With every partition read to its end, the final commit below comes next, waited for.
          if (committer.silver().stagedRows() >= opts.flushRows && seal.anyBehind())
            await committer.commit(cut(false), false);
        }
        await committer.commit(cut(catchUpOptions.sealAll === true), true);
      }),
    onChange: (listener) => committer.onChange(listener),
    manifest: () => committer.manifest(),
    tradesConsumed: () => consumed,
    offer: (offered, acks) => handoff.offer(offered, acks),
    commitBeside: (commit) =>
      exclusive(async () => {
        const result = await committer.commitBeside(commit);
        held = new Set(result.held);
        return result.changes;
      }),
    async close() {
      await chain;
      await committer.close();
      await formatter?.close();
    },
  };
}

/** How often an idle writer looks at the log when nothing wakes it. */
const POLL_MS = 200;

function resolveOptions(options: OpenLakeWriterOptions): LakeWriterOptions {
  const opts: LakeWriterOptions = { ...LAKE_WRITER_DEFAULTS, ...definedOnly(options) };
  for (const [name, value] of Object.entries(opts)) {
    if (name === 'time') continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new CryptoLambdaError(
        LAKE_ERRORS.badOptions,
        `lake option ${name} must be a number ≥ 0, got ${String(value)}`,
      );
    }
  }
  return { ...opts, time: resolveTimePolicy(opts.time) };
}

function definedOnly(options: OpenLakeWriterOptions): Partial<LakeWriterOptions> {
  const out: Partial<LakeWriterOptions> = {};
  for (const key of Object.keys(LAKE_WRITER_DEFAULTS) as (keyof LakeWriterOptions)[]) {
    const value = options[key];
    if (value !== undefined) Object.assign(out, { [key]: value });
  }
  return out;
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
