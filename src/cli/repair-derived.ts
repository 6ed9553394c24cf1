import { existsSync } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { CryptoLambdaError, isCryptoLambdaError } from '../domain/index.js';
import {
  INGEST_ERRORS,
  POSITIONS_FILE,
  readWriterState,
  rebuildWriterState,
  writeWriterState,
} from '../ingest/index.js';
import { LAKE_ERRORS, loadManifest, MANIFEST_FILE, rebuildManifest, saveManifest } from '../lake/index.js';
import { type EventLog, type LostRange, type RepairedLog, TOPICS } from '../log/index.js';
import {
  type CandleOperatorState,
  createCandleOperator,
  openCheckpointStore,
  SPEED_ERRORS,
  type SpeedCheckpoint,
} from '../speed/index.js';

/**
 * What `repair` does to the state derived from the log (the speed checkpoint, the lake manifest,
 * the log writer's positions) once the log itself is whole: a file that is not what it should be
 * is set aside and rebuilt, and offsets past the log's end are set back to it. Each step returns
 * the lines it reports.
 */
export interface DerivedRepair {
  dataDir: string;
  /** Where files are set aside: `<dataDir>/damaged/<time>`. */
  asideDir: string;
  log: EventLog;
  /** What the log's repair lost, to say which consumers had not read it yet. */
  lost: readonly LostRange[];
  /** Drops a partition's records from an offset on (see `RepairedLog.cutBack`). */
  cutBack: RepairedLog['cutBack'];
}

/** Batches a rebuilt source position goes back: more than the log writer has in flight (4). */
const BATCHES_BACK = 8;

/** Moves a file under the aside directory, keeping its place in the data directory; returns the new path. */
async function setAside(ctx: DerivedRepair, path: string): Promise<string> {
  const to = join(ctx.asideDir, relative(ctx.dataDir, path));
  await mkdir(dirname(to), { recursive: true });
  await rename(path, to);
  return to;
}

async function ends(log: EventLog, topic: string, partitions: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = 0; p < partitions; p++) out.push((await log.offsets(topic, p)).end);
  return out;
}

async function starts(log: EventLog, topic: string, partitions: number): Promise<number[]> {
  const out: number[] = [];
  for (let p = 0; p < partitions; p++) out.push((await log.offsets(topic, p)).start);
  return out;
}

/**
 * Sets offsets past their partition's end back to it (in place); returns a line per change.
 * The consumer keeps what it derived from the records it had read.
 */
async function rewind(log: EventLog, who: string, topic: string, offsets: number[]): Promise<string[]> {
  const lines: string[] = [];
  const end = await ends(log, topic, offsets.length);
  for (let p = 0; p < offsets.length; p++) {
    if ((offsets[p] ?? 0) <= (end[p] ?? 0)) continue;
    lines.push(
      `${who}: ${topic} partition ${p} set back from offset ${offsets[p]} to ${end[p]}, the log's end`,
    );
    offsets[p] = end[p] ?? 0;
  }
  return lines;
}

/** Which lost records of `topic` a consumer at `offsets` had not read: those are missing from what it derives. */
function unread(ctx: DerivedRepair, who: string, topic: string, offsets: readonly number[]): string[] {
  const lines: string[] = [];
  for (const range of ctx.lost) {
    if (range.topic !== topic) continue;
    const from = Math.max(range.fromOffset, offsets[range.partition] ?? 0);
    const to = range.toOffset ?? Number.POSITIVE_INFINITY;
    if (from >= to) {
      lines.push(
        `${who} had read ${topic} partition ${range.partition} offsets ${range.fromOffset} to ${to - 1} before they were lost: what it derived from them stays`,
      );
      continue;
    }
    const count = Number.isFinite(to) ? ` (${to - from} records)` : '';
    lines.push(
      `${who} had not read ${topic} partition ${range.partition} offsets ${from} to ${Number.isFinite(to) ? to - 1 : 'its end'}${count} before they were lost: what it derives lacks them`,
    );
  }
  return lines;
}

/** The speed checkpoint: set aside when corrupt (the speed layer rebuilds from the log), else rewound. */
export async function repairSpeedCheckpoint(ctx: DerivedRepair): Promise<string[]> {
  const path = join(ctx.dataDir, 'speed', 'checkpoint.json');
  const who = 'the speed layer';
  // The snapshot and the changes appended since (`openCheckpointStore`), folded as the runner does.
  const store = openCheckpointStore<SpeedCheckpoint<CandleOperatorState>>(path);
  const operator = createCandleOperator();
  let checkpoint: SpeedCheckpoint<CandleOperatorState> | undefined;
  try {
    checkpoint = await store.load((base, change) => ({
      ...change,
      operator: operator.merge(base.operator, change.operator),
    }));
    if (checkpoint !== undefined && !isSpeedCheckpoint(checkpoint)) {
      throw new CryptoLambdaError(SPEED_ERRORS.checkpointCorrupt, `checkpoint ${path} holds unexpected data`);
    }
  } catch (error) {
    if (!isCryptoLambdaError(error, SPEED_ERRORS.checkpointCorrupt)) throw error;
    const to = await setAside(ctx, path);
    for (const name of await readdir(dirname(path))) {
      if (/^checkpoint\.\d+\.delta$/.test(name)) await setAside(ctx, join(dirname(path), name));
    }
    const lines = [
      `rebuilt: ${path} was not a checkpoint, or the changes appended to it were damaged (set aside to ${to}); the speed layer rebuilds its state from the log at the next start`,
    ];
    const tradeStarts = await starts(ctx.log, TOPICS.trades.name, TOPICS.trades.config.partitions);
    if (tradeStarts.some((s) => s > 0)) {
      lines.push(
        `warning: the trades topic no longer starts at offset 0 (retention): the rebuilt speed layer lacks the trades before ${tradeStarts.join(', ')}; candles of those days come from the batch layer`,
      );
    }
    return lines;
  }
  if (checkpoint === undefined) return [];
  const lines = unread(ctx, who, TOPICS.trades.name, checkpoint.tradeOffsets);
  if (hadNotRead(ctx, checkpoint.tradeOffsets)) lines.push(...(await cutCandles(ctx, checkpoint.candleEnds)));
  const rewound = [
    ...(await rewind(ctx.log, who, TOPICS.trades.name, checkpoint.tradeOffsets)),
    ...(await rewind(ctx.log, who, TOPICS.candles.name, checkpoint.candleEnds)),
  ];
  if (rewound.length > 0) await store.saveFull(checkpoint);
  return [...lines, ...rewound];
}

/** Whether a consumer at `offsets` of the trades topic had not read some of the lost trades. */
function hadNotRead(ctx: DerivedRepair, offsets: readonly number[]): boolean {
  return ctx.lost.some(
    (r) =>
      r.topic === TOPICS.trades.name &&
      (offsets[r.partition] ?? 0) < (r.toOffset ?? Number.POSITIVE_INFINITY),
  );
}

/**
 * The candles the speed layer appended after its checkpoint came from trades some of which are
 * lost now: they are cut (set aside), and the speed layer, restored from the checkpoint, derives
 * them again from the repaired log, so its candles are those of the trades that remain.
 */
async function cutCandles(ctx: DerivedRepair, candleEnds: readonly number[]): Promise<string[]> {
  const lines: string[] = [];
  for (let p = 0; p < candleEnds.length; p++) {
    const cut = await ctx.cutBack(TOPICS.candles.name, p, candleEnds[p] ?? 0);
    if (cut === undefined) continue;
    lines.push(
      `the speed layer: candles partition ${p} cut back from offset ${cut.toOffset} to ${cut.fromOffset} (${cut.records} candles it wrote after its checkpoint, from trades some of which are lost): it derives them again from the repaired log`,
    );
  }
  return lines;
}

function isSpeedCheckpoint(data: unknown): data is SpeedCheckpoint<unknown> {
  const c = data as Partial<SpeedCheckpoint<unknown>> | null;
  const offsets = (v: unknown) => Array.isArray(v) && v.every((n) => Number.isSafeInteger(n) && n >= 0);
  return typeof c === 'object' && c !== null && offsets(c.tradeOffsets) && offsets(c.candleEnds);
}

/** The lake manifest: rebuilt from the lake's files when corrupt, else rewound. */
export async function repairLakeManifest(ctx: DerivedRepair): Promise<string[]> {
  const lakeDir = join(ctx.dataDir, 'lake');
  const path = join(lakeDir, MANIFEST_FILE);
  if (!existsSync(path)) return [];
  const who = 'the lake writer';
  try {
    const manifest = await loadManifest(lakeDir);
    const lines = unread(ctx, who, TOPICS.trades.name, manifest.offsets[TOPICS.trades.name] ?? []);
    const rewound: string[] = [];
    for (const [topic, offsets] of Object.entries(manifest.offsets)) {
      rewound.push(...(await rewind(ctx.log, who, topic, offsets)));
    }
    if (rewound.length > 0) await saveManifest(lakeDir, manifest);
    return [...lines, ...rewound];
  } catch (error) {
    if (!isCryptoLambdaError(error, LAKE_ERRORS.manifestCorrupt)) throw error;
  }
  const to = await setAside(ctx, path);
  const { trades, raw } = TOPICS;
  const offsets = {
    [trades.name]: await starts(ctx.log, trades.name, trades.config.partitions),
    [raw.name]: await ends(ctx.log, raw.name, raw.config.partitions),
  };
  const rebuilt = await rebuildManifest(lakeDir, offsets, Date.now());
  await saveManifest(lakeDir, rebuilt.manifest);
  return [
    `rebuilt: ${path} was not a manifest (set aside to ${to}); rebuilt from ${rebuilt.silverFiles} silver and ` +
      `${rebuilt.bronzeFiles - rebuilt.bronzeJoined} bronze files. Every hour is open again: the lake writer reads the trades ` +
      `still in the log once more and seals each hour without the trades it already holds; the batch jobs run again ` +
      `over the sealed hours. Bronze resumes at the raw topic's end: payloads received after the lake's last commit ` +
      `before the damage may be missing from bronze.`,
  ];
}

/** The log writer's positions: rebuilt from the raw topic when corrupt, else rewound. */
export async function repairPositions(ctx: DerivedRepair): Promise<string[]> {
  const stateDir = join(ctx.dataDir, 'ingest');
  const path = join(stateDir, POSITIONS_FILE);
  if (!existsSync(path)) return [];
  try {
    const state = await readWriterState(stateDir);
    const lines: string[] = [];
    for (const [source, offset] of Object.entries(state.rawScanFrom)) {
      const { end } = await ctx.log.offsets(TOPICS.raw.name, ctx.log.partitionFor(TOPICS.raw.name, source));
      if (offset <= end) continue;
      lines.push(
        `the log writer: source ${source}'s raw records set back from offset ${offset} to ${end}, the log's end`,
      );
      state.rawScanFrom[source] = end;
    }
    if (lines.length > 0) await writeWriterState(stateDir, state);
    return lines;
  } catch (error) {
    if (!isCryptoLambdaError(error, INGEST_ERRORS.positionsCorrupt)) throw error;
  }
  const to = await setAside(ctx, path);
  const { state, sources } = await rebuildWriterState(ctx.log, BATCHES_BACK);
  await writeWriterState(stateDir, state);
  const lines = [
    `rebuilt: ${path} was not a positions file (set aside to ${to}); rebuilt from the raw topic:`,
  ];
  for (const s of sources) {
    lines.push(
      s.position === undefined
        ? `  ${s.source} starts again from its beginning (${s.records} batches in the raw topic); what it delivers again is dropped as duplicates`
        : `  ${s.source} resumes after position ${s.position}, ${s.repeated} batches before its last; what it delivers again is dropped as duplicates`,
    );
  }
  lines.push(
    '  a source with no records in the raw topic (the simulator, or one older than its retention) starts from its beginning',
  );
  return lines;
}
