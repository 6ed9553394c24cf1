import { constants } from 'node:fs';
import { copyFile, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { CryptoLambdaError } from '../../../domain/index.js';
import { LOG_ERRORS } from '../../event-log.js';
import type { FileEventLog, OpenFileLogOptions } from './file-log.js';
import { openFileLogWith } from './file-log.js';
import { encodeGapFrame } from './frame.js';
import { fsyncDir } from './fs-util.js';
import type { FileLog } from './log.js';
import type { Partition } from './partition.js';
import type { PartitionLabel, SurveyedSegments } from './recover.js';
import type { RecoveryPoint } from './recovery-points.js';
import type { BadRegion, FrameRun, SegmentSurvey } from './scan.js';
import { surveySegment } from './scan.js';
import { segmentFileName } from './segment.js';

/** Records a repair gave up: offsets `[fromOffset, toOffset)` of one partition. */
export interface LostRange {
  topic: string;
  partition: number;
  /** The damaged file, as it was (a copy is in the aside directory), and where the damage starts in it. */
  path: string;
  position: number;
  reason: string;
  fromOffset: number;
  /** Undefined when they were the partition's last records, and how far they went is not known. */
  toOffset: number | undefined;
  /**
   * How many acknowledged records: exact inside the partition (a gap frame now stands for them);
   * at its end, those the recovery point shows were on disk (there may have been a few more).
   */
  records: number | undefined;
}

/** What `repairFileLog` did. Empty lists: the log was whole, and nothing was changed. */
export interface LogRepairReport {
  lost: LostRange[];
  /** Files copied to the aside directory before they were replaced or removed. */
  movedAside: { from: string; to: string }[];
  /** Consumer-group offsets past their partition's end after the repair, set back to the end. */
  rewound: { group: string; topic: string; partition: number; from: number; to: number }[];
}

/**
 * Opens the log like `openFileLog`, but checksums every frame and repairs what does not check
 * out instead of refusing: each damaged segment file is copied under `asideDir` (the log's
 * layout kept) and rewritten with its whole frames, and where records were lost inside a
 * partition, a gap frame that keeps the offsets after them where they were (readers skip it).
 * Records lost at a partition's end are cut off. A recovery-points or consumer-offsets file that
 * is not one is set aside; consumer offsets past a partition's new end are set back to it.
 * Running it on a whole log changes nothing.
 */
export async function repairFileLog(options: OpenFileLogOptions, asideDir: string): Promise<RepairedLog> {
  const report: LogRepairReport = { lost: [], movedAside: [], rewound: [] };
  let fileLog: FileLog | undefined;
  const keepCopy = async (path: string): Promise<void> => {
    const to = join(asideDir, relative(options.dir, path));
    await copyAside(path, to);
    report.movedAside.push({ from: path, to });
  };
  const setAside = async (path: string): Promise<void> => {
    await keepCopy(path);
    await unlink(path);
    await fsyncDir(dirname(path));
  };
  const log = await openFileLogWith(options, {
    setAside: (damage) => setAside(damage.path),
    partition: (label) => async (dir, surveyed, point) => {
      const aside = join(asideDir, relative(options.dir, dir));
      await rewritePartition(dir, surveyed, point, label, aside, report);
    },
    opened: async (opened, offsets) => {
      fileLog = opened;
      report.rewound.push(...(await offsets.rewindPastEnd(opened)));
    },
  });
  return {
    log,
    report,
    async cutBack(topic, partition, offset) {
      const state = (fileLog as FileLog).partition(topic, partition);
      const from = state.endOffset;
      if (offset >= from) return undefined;
      const position = await frameStart(state, offset);
      const path = join(options.dir, 'topics', topic, String(partition));
      await state.cutBack(offset, position, keepCopy);
      await log.sync();
      return {
        topic,
        partition,
        path,
        position,
        reason: 'cut back',
        fromOffset: offset,
        toOffset: from,
        records: from - offset,
      };
    },
  };
}

/** A log opened by `repairFileLog`, with what the repair did. */
export interface RepairedLog {
  log: FileEventLog;
  report: LogRepairReport;
  /**
   * Drops a partition's records from `offset` (a batch boundary) on, setting its files aside
   * first: for records derived from records the repair lost, which their consumer derives again.
   * Returns what was dropped, or undefined when the partition ends at or before `offset`.
   */
  cutBack(topic: string, partition: number, offset: number): Promise<LostRange | undefined>;
}

/** The byte position, in its segment, of the frame that starts at `offset`. */
async function frameStart(partition: Partition, offset: number): Promise<number> {
  const segment = partition.segmentFor(offset);
  const handle = await open(segment?.path ?? '', 'r');
  let found: number | undefined;
  try {
    await surveySegment(handle, segment?.baseOffset ?? 0, false, 1 << 20, (position, header) => {
      if (header.baseOffset === offset) found = position;
    });
  } finally {
    await handle.close();
  }
  if (found === undefined) {
    throw new CryptoLambdaError(LOG_ERRORS.invalidArgument, `offset ${offset} does not start a batch`);
  }
  return found;
}

type Piece = { run: FrameRun } | { gap: LostRange };

/** Rewrites a partition's damaged segments (see `repairFileLog`), adding what it lost to `report`. */
async function rewritePartition(
  dir: string,
  { bases, surveys }: SurveyedSegments,
  point: RecoveryPoint | undefined,
  label: PartitionLabel,
  asideDir: string,
  report: LogRepairReport,
): Promise<void> {
  let lastKept = 0;
  surveys.forEach((survey, i) => {
    if (survey.runs.length > 0) lastKept = i;
  });
  const lost = (
    path: string,
    bad: BadRegion | undefined,
    fromOffset: number,
    toOffset: number,
  ): LostRange => ({
    ...label,
    path,
    position: bad?.position ?? 0,
    reason: bad?.reason ?? 'the segment file that held them is missing',
    fromOffset,
    toOffset,
    records: toOffset - fromOffset,
  });
  let cursor = bases[0] ?? 0;
  for (let i = 0; i <= lastKept && i < bases.length; i++) {
    const survey = surveys[i] as SegmentSurvey;
    const path = join(dir, segmentFileName(bases[i] as number));
    const pieces: Piece[] = [];
    for (const run of survey.runs) {
      if (run.offset < cursor) throw overlapping(path);
      if (run.offset > cursor) {
        const bad = survey.bad.find((b) => b.endPosition === run.position);
        pieces.push({ gap: lost(path, bad, cursor, run.offset) });
      }
      pieces.push({ run });
      cursor = run.endOffset;
    }
    const tailBad = survey.bad.find((b) => b.nextOffset === undefined);
    const nextBase = i < lastKept ? (bases[i + 1] as number) : undefined;
    if (nextBase !== undefined && nextBase < cursor) throw overlapping(path);
    if (nextBase !== undefined && nextBase > cursor) {
      pieces.push({ gap: lost(path, tailBad, cursor, nextBase) });
      cursor = nextBase;
    }
    const whole =
      survey.bad.length === 0 &&
      pieces.length === survey.runs.length &&
      (survey.runs[0]?.position ?? 0) === 0 &&
      (survey.runs[survey.runs.length - 1]?.endPosition ?? 0) === survey.fileBytes;
    if (!whole) await rewriteSegment(path, pieces, join(asideDir, basename(path)), report);
    for (const piece of pieces) if ('gap' in piece) report.lost.push(piece.gap);
    if (
      nextBase === undefined &&
      (tailBad !== undefined || bases.length > lastKept + 1 || endsEarly(point, cursor))
    ) {
      report.lost.push({
        ...lost(path, tailBad, cursor, cursor),
        reason: tailBad?.reason ?? 'the partition ends before its recovery point',
        toOffset: endsEarly(point, cursor) ? point?.offset : undefined,
        records: endsEarly(point, cursor) ? (point?.offset ?? cursor) - cursor : undefined,
      });
    }
  }
  // Segments after the last one holding a whole frame hold nothing readable: set aside whole.
  for (const base of bases.slice(lastKept + 1)) {
    const path = join(dir, segmentFileName(base));
    const to = join(asideDir, basename(path));
    await copyAside(path, to);
    report.movedAside.push({ from: path, to });
    await unlink(path);
  }
  if (bases.length === 0 && point !== undefined && point.offset > 0) {
    const path = join(dir, segmentFileName(point.segment));
    report.lost.push({ ...lost(path, undefined, 0, point.offset), records: point.offset });
  }
  await fsyncDir(dir);
}

const endsEarly = (point: RecoveryPoint | undefined, end: number): boolean =>
  point !== undefined && point.offset > end;

function overlapping(path: string): CryptoLambdaError {
  return new CryptoLambdaError(
    LOG_ERRORS.damaged,
    `${path} holds offsets that another segment file holds too; this repair cannot choose between them: ` +
      `move the segment file that does not belong out of ${dirname(path)} and run it again`,
  );
}

/** Copies `path` to `to` (never over an existing file) and puts the copy on disk. */
async function copyAside(path: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  await copyFile(path, to, constants.COPYFILE_EXCL);
  const handle = await open(to, 'r+');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await fsyncDir(dirname(to));
}

/**
 * Sets the damaged file aside, then replaces it (atomically: a temporary file renamed over it)
 * with its whole frames and gap frames, in `pieces` order. A crash at any point leaves the
 * damaged file or the repaired one, and a copy aside.
 */
async function rewriteSegment(
  path: string,
  pieces: readonly Piece[],
  asidePath: string,
  report: LogRepairReport,
): Promise<void> {
  await copyAside(path, asidePath);
  report.movedAside.push({ from: path, to: asidePath });
  const tmp = `${path}.repair.tmp`;
  const source = await open(path, 'r');
  const target = await open(tmp, 'w');
  try {
    let at = 0;
    for (const piece of pieces) {
      if ('gap' in piece) {
        const { fromOffset, toOffset, reason } = piece.gap;
        const count = (toOffset as number) - fromOffset;
        const note = {
          lost: [fromOffset, toOffset],
          reason,
          damagedCopy: asidePath,
          repairedAt: new Date().toISOString(),
        };
        const frame = encodeGapFrame(fromOffset, count, note);
        await target.write(frame, 0, frame.length, at);
        at += frame.length;
        continue;
      }
      const { position, endPosition } = piece.run;
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, endPosition - position));
      for (let pos = position; pos < endPosition; ) {
        const { bytesRead } = await source.read(chunk, 0, Math.min(chunk.length, endPosition - pos), pos);
        if (bytesRead === 0) throw new Error(`${path} shrank during the repair`);
        await target.write(chunk, 0, bytesRead, at);
        pos += bytesRead;
        at += bytesRead;
      }
    }
    await target.datasync();
  } finally {
    await Promise.all([source.close(), target.close()]);
  }
  await rename(tmp, path);
  await fsyncDir(dirname(path));
}
