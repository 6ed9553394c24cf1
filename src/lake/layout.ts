import { CryptoLambdaError, type UnixMs } from '../domain/index.js';
import { LAKE_ERRORS } from './errors.js';

/**
 * Where things live under the lake directory (`<data dir>/lake`), hive-partitioned:
 *
 *   silver/trades/date=2019-10-11/venue=binance/05.00000042.parquet       a sealed hour (deduplicated)
 *   silver/trades/date=2019-10-11/venue=binance/05.part.00000043.parquet  a flush of an open hour
 *   bronze/source=<name>/date=2019-10-11/05.00000044.jsonl.gz             raw payloads received in that hour
 *   bronze/dumps/00000045/XRPETH-aggTrades-2019-10-11.csv.gz              a dump loaded in bulk, as received
 *   gold/<job>/date=2019-10-11/<job>.parquet                              a batch job's output for the day
 *   _manifest.json                                                        what the lake holds (the commit point)
 *
 * Every file name carries a sequence number that is never reused, so a file is written once
 * under a temporary name, renamed into place, and never modified.
 */
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const MANIFEST_FILE = '_manifest.json';

/** `YYYY-MM-DD` of the UTC day holding `ts`. */
export function utcDate(ts: UnixMs): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/** 00:00 UTC of a `YYYY-MM-DD` day. */
export function dayStart(date: string): UnixMs {
  return Date.parse(`${date}T00:00:00Z`);
}

/** Every `YYYY-MM-DD` from `from` to `to`, inclusive. */
export function datesBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let ts = dayStart(from); ts <= dayStart(to); ts += DAY_MS) out.push(utcDate(ts));
  return out;
}

export function hourOf(ts: UnixMs): UnixMs {
  return Math.floor(ts / HOUR_MS) * HOUR_MS;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A venue or source name as a path segment; names with other characters are percent-encoded. */
export function pathSegment(name: string): string {
  if (SAFE_NAME.test(name)) return name;
  const encoded = encodeURIComponent(name).replaceAll('.', '%2E');
  if (encoded.length === 0 || encoded.length > 255) {
    throw new CryptoLambdaError(LAKE_ERRORS.badName, `"${name}" cannot name a lake partition`);
  }
  return encoded;
}

const seqText = (seq: number): string => String(seq).padStart(8, '0');
const hourText = (hourTs: UnixMs): string => String(new Date(hourTs).getUTCHours()).padStart(2, '0');

/** Relative path of a silver file of one venue's hour. */
export function silverFile(venue: string, hourTs: UnixMs, seq: number, kind: 'sealed' | 'part'): string {
  const dir = `silver/trades/date=${utcDate(hourTs)}/venue=${pathSegment(venue)}`;
  return kind === 'sealed'
    ? `${dir}/${hourText(hourTs)}.${seqText(seq)}.parquet`
    : `${dir}/${hourText(hourTs)}.part.${seqText(seq)}.parquet`;
}

/** Relative path of a bronze file of one source's hour of receive time. */
export function bronzeFile(source: string, hourTs: UnixMs, seq: number): string {
  return `bronze/source=${pathSegment(source)}/date=${utcDate(hourTs)}/${hourText(hourTs)}.${seqText(seq)}.jsonl.gz`;
}

/** Relative path of a dump file's copy in bronze: its own name, in a folder of its own. */
export function bronzeDumpFile(name: string, seq: number): string {
  return `bronze/dumps/${seqText(seq)}/${pathSegment(name)}`;
}

/** Relative path of a batch job's output for a day. */
export function goldFile(job: string, date: string): string {
  return `gold/${pathSegment(job)}/date=${date}/${pathSegment(job)}.parquet`;
}

/** The temporary name a file is written under before it is renamed into place. */
export function tempName(relPath: string): string {
  const slash = relPath.lastIndexOf('/');
  return `${relPath.slice(0, slash + 1)}.tmp-${relPath.slice(slash + 1)}`;
}
