import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogDamage } from './damage.js';
import { ensureDir, fsyncDir, isTmpFile } from './fs-util.js';
import type { FileLogOptions } from './options.js';
import type { RecoveryPoint } from './recovery-points.js';
import { recordsFrom, type SegmentSurvey } from './scan.js';
import { parseSegmentFileName, Segment, segmentFileName } from './segment.js';

/** Something the log repaired when it opened, e.g. a torn batch cut off after a crash. */
export interface RecoveryNote {
  path: string;
  message: string;
}

/** The partition being opened, for messages. */
export interface PartitionLabel {
  topic: string;
  partition: number;
}

/** What opening a partition needs besides its directory, and where it reports. */
export interface PartitionOpening {
  label: PartitionLabel;
  /** The partition's recovery point, if one was recorded. */
  point: RecoveryPoint | undefined;
  notes: RecoveryNote[];
  /** Damage found; when any is, the partition is returned only to be closed. */
  damage: LogDamage[];
  /**
   * Repair mode: every frame is checksummed, and a damaged partition is handed to this function
   * (which rewrites its files) instead of being reported; the partition is then opened again.
   */
  repair?: (dir: string, surveyed: SurveyedSegments, point: RecoveryPoint | undefined) => Promise<void>;
}

/** The base offsets of the segment files in `dir` (created when missing), in order; leftover temporary files go. */
export async function listSegments(dir: string): Promise<number[]> {
  await ensureDir(dir);
  const bases: number[] = [];
  for (const name of await readdir(dir)) {
    const base = parseSegmentFileName(name);
    if (base !== undefined) bases.push(base);
    else if (isTmpFile(name)) await rm(join(dir, name), { force: true });
  }
  return bases.sort((a, b) => a - b);
}

/** A partition's segment files, opened and walked. */
export interface SurveyedSegments {
  bases: readonly number[];
  segments: Segment[];
  surveys: SegmentSurvey[];
}

/** Where a partition's frames stop checking out (the first one decides whether it is a torn tail). */
export interface Issue {
  /** The segment it is in; for missing offsets, the segment before them. */
  index: number;
  position: number;
  /** The first offset it concerns. */
  offset: number;
  reason: string;
  /** Missing offsets between two segment files, rather than bad bytes in one. */
  between: boolean;
}

/**
 * Opens and walks every segment. Frames are checksummed in the last segment, in segments from
 * the recovery point's on (not known durable yet), and everywhere with `verifyAll`; older
 * segments are walked header by header (their payloads are checked when read).
 */
export async function surveySegments(
  dir: string,
  bases: readonly number[],
  options: FileLogOptions,
  point: RecoveryPoint | undefined,
  verifyAll: boolean,
): Promise<SurveyedSegments> {
  const segments: Segment[] = [];
  const surveys: SegmentSurvey[] = [];
  try {
    for (let i = 0; i < bases.length; i++) {
      const base = bases[i] as number;
      const segment = await Segment.open(join(dir, segmentFileName(base)), base, options.indexIntervalBytes);
      segments.push(segment);
      const verify = verifyAll || i === bases.length - 1 || (point !== undefined && base >= point.segment);
      surveys.push(await segment.survey(verify, options.readChunkBytes));
    }
  } catch (error) {
    await Promise.all(segments.map((s) => s.close()));
    throw error;
  }
  return { bases, segments, surveys };
}

/** The offset after a segment's last whole frame. */
export function endOffsetOf(survey: SegmentSurvey, base: number): number {
  return survey.runs[survey.runs.length - 1]?.endOffset ?? base;
}

/** Every bad region and every hole between segments, in log order. */
export function findIssues({ bases, surveys }: SurveyedSegments): Issue[] {
  const issues: Issue[] = [];
  for (let i = 0; i < surveys.length; i++) {
    const survey = surveys[i] as SegmentSurvey;
    if (i > 0) {
      const previous = surveys[i - 1] as SegmentSurvey;
      const end = endOffsetOf(previous, bases[i - 1] as number);
      const base = bases[i] as number;
      if (base !== end && previous.bad.length === 0) {
        issues.push({
          index: i - 1,
          position: previous.fileBytes,
          offset: end,
          between: true,
          reason:
            base > end
              ? `offsets ${end} to ${base - 1} are in no segment file (${segmentFileName(end)} is missing)`
              : `the next segment file starts at offset ${base}, inside this one`,
        });
      }
    }
    for (const bad of survey.bad) {
      issues.push({
        index: i,
        position: bad.position,
        offset: bad.offset,
        reason: bad.reason,
        between: false,
      });
    }
  }
  return issues;
}

/** Records in whole frames after an issue, to the partition's end. */
export function recordsAfter(issue: Issue, surveys: readonly SegmentSurvey[]): number {
  let records = issue.between ? 0 : recordsFrom(surveys[issue.index] as SegmentSurvey, issue.position);
  for (let i = issue.index + 1; i < surveys.length; i++)
    records += recordsFrom(surveys[i] as SegmentSurvey, 0);
  return records;
}

/** Whether byte `position` of the segment at `base` was on disk at the recovery point. */
export function isDurable(point: RecoveryPoint | undefined, base: number, position: number): boolean {
  return point !== undefined && (base < point.segment || (base === point.segment && position < point.bytes));
}

/**
 * Decides what the first issue of a partition is. Beyond the recovery point with no whole frame
 * after it, it is a write that a crash cut short: the segment is cut back to its last whole
 * frame and the segments after it (holding no whole frame) are deleted; the kept segments are
 * returned. Anything else is damage, reported in `damage` with nothing changed on disk. A
 * partition that checks out but ends before its recovery point lost durable records: damage.
 */
export async function settleSegments(
  dir: string,
  surveyed: SurveyedSegments,
  point: RecoveryPoint | undefined,
  label: PartitionLabel,
  notes: RecoveryNote[],
  damage: LogDamage[],
): Promise<Segment[]> {
  const { bases, segments, surveys } = surveyed;
  const first = findIssues(surveyed)[0];
  if (first !== undefined) {
    const base = bases[first.index] as number;
    const after = recordsAfter(first, surveys);
    const path = join(dir, segmentFileName(first.between ? first.offset : base));
    if (after > 0 || isDurable(point, base, first.position)) {
      damage.push({
        path,
        ...label,
        position: first.position,
        offset: first.offset,
        recordsAfter: after,
        reason: first.reason,
      });
      return segments;
    }
    const kept = segments.slice(0, first.index + 1);
    const cut = kept[kept.length - 1] as Segment;
    if (!first.between) {
      await cut.truncateToSize();
      notes.push({
        path,
        message: `found ${first.reason} at byte ${first.position}; cut back to ${cut.size} bytes`,
      });
    }
    for (const dropped of segments.slice(first.index + 1)) {
      await dropped.retire();
      notes.push({
        path: dropped.path,
        message: 'deleted: it follows a torn write and holds no whole frame',
      });
    }
    return kept;
  }
  const lastSurvey = surveys[surveys.length - 1];
  const end = lastSurvey === undefined ? 0 : endOffsetOf(lastSurvey, bases[bases.length - 1] as number);
  if (
    point !== undefined &&
    end < point.offset &&
    (bases.length === 0 || point.segment >= (bases[0] as number))
  ) {
    damage.push({
      path: join(dir, segmentFileName(point.segment)),
      ...label,
      position: Math.min(point.bytes, surveys.find((_, i) => bases[i] === point.segment)?.fileBytes ?? 0),
      offset: end,
      recordsAfter: 0,
      reason: `the partition ends at offset ${end}, but records up to offset ${point.offset} were on disk: ${point.offset - end} acknowledged records are gone (a segment file was truncated or removed)`,
    });
  }
  return segments;
}

/**
 * A partition's segments, opened: listed, walked and settled (see `settleSegments`); in repair
 * mode a damaged partition is rewritten and opened again, without its old recovery point. An
 * empty partition gets its first segment.
 */
export async function openSegments(
  dir: string,
  options: FileLogOptions,
  opening: PartitionOpening,
): Promise<{ segments: Segment[]; point: RecoveryPoint | undefined }> {
  const bases = await listSegments(dir);
  const surveyed = await surveySegments(dir, bases, options, opening.point, opening.repair !== undefined);
  const damage: LogDamage[] = [];
  const segments = await settleSegments(dir, surveyed, opening.point, opening.label, opening.notes, damage);
  if (damage.length > 0 && opening.repair !== undefined) {
    await Promise.all(segments.map((segment) => segment.close()));
    await opening.repair(dir, surveyed, opening.point);
    return openSegments(dir, options, { ...opening, point: undefined, repair: undefined });
  }
  opening.damage.push(...damage);
  if (segments.length === 0) {
    segments.push(await Segment.create(dir, 0, options.indexIntervalBytes));
    if (options.fsync === 'always') await fsyncDir(dir);
  }
  return { segments, point: opening.point };
}
