import { CryptoLambdaError, isCryptoLambdaError } from '../../../domain/index.js';
import { LOG_ERRORS } from '../../event-log.js';

/** One place where the log is damaged beyond what a crash explains (`LOG_DAMAGED`'s details). */
export interface LogDamage {
  /** The damaged file; for missing offsets, the segment file that should hold them. */
  path: string;
  topic?: string;
  partition?: number;
  /** Byte position in `path` where the damage starts. */
  position: number;
  /** The first offset whose record is unreadable or missing, when known. */
  offset?: number;
  /** Acknowledged records in whole frames after the damage, in this partition: what a cut would lose. */
  recordsAfter?: number;
  /** What is wrong, e.g. `a checksum mismatch`. */
  reason: string;
}

/** How many damages the message lists; the error's details hold them all. */
const LISTED = 8;

export function describeDamage(damage: LogDamage): string {
  const where =
    damage.topic === undefined ? '' : ` (topic ${damage.topic}, partition ${damage.partition ?? 0})`;
  const offset = damage.offset === undefined ? '' : `, where offset ${damage.offset} should be`;
  const after =
    damage.recordsAfter === undefined ? '' : `; ${damage.recordsAfter} acknowledged records lie after it`;
  return `${damage.path}${where} at byte ${damage.position}${offset}: ${damage.reason}${after}`;
}

/** `LOG_DAMAGED` for `damage` (at least one), with the damage as details. */
export function damagedError(damage: readonly LogDamage[]): CryptoLambdaError {
  const lines = damage.slice(0, LISTED).map((d) => `  - ${describeDamage(d)}`);
  if (damage.length > LISTED) lines.push(`  - and ${damage.length - LISTED} more`);
  return new CryptoLambdaError(
    LOG_ERRORS.damaged,
    `the log is damaged where no crash can have torn it, so it was left as it is and not used:\n${lines.join('\n')}`,
    { details: [...damage] },
  );
}

/** The damage a `LOG_DAMAGED` error carries; undefined for any other error. */
export function logDamageOf(error: unknown): readonly LogDamage[] | undefined {
  return isCryptoLambdaError(error, LOG_ERRORS.damaged) ? (error.details as LogDamage[]) : undefined;
}
