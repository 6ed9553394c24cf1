import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import type { UnixMs } from '../domain/index.js';
import { dayStart, HOUR_MS } from './layout.js';
import { type BronzeHour, emptyManifest, hourKey, type LakeFile, type LakeManifest } from './manifest.js';
import { sqlList } from './sql.js';

/** What `rebuildManifest` found. */
export interface RebuiltManifest {
  manifest: LakeManifest;
  silverFiles: number;
  bronzeFiles: number;
  /** Bronze files left out: parts whose rows a later file of the same hour joined. */
  bronzeJoined: number;
}

const SILVER = /^silver\/trades\/date=(\d{4}-\d\d-\d\d)\/venue=([^/]+)\/(\d\d)\.(?:part\.)?(\d+)\.parquet$/;
const BRONZE = /^bronze\/source=([^/]+)\/date=(\d{4}-\d\d-\d\d)\/(\d\d)\.(\d+)\.jsonl\.gz$/;

/**
 * A manifest for the files under `lakeDir`, when the one that said what they are is lost. Which
 * of an hour's files were committed, and which were replaced and await deletion, is not known
 * any more; so every silver file is listed as an open part of its hour: sealing then merges an
 * hour's parts and drops the trades they repeat, as it does after late trades. The log offsets
 * are `offsets` (the trades topic's start, so every trade still in the log is consumed again and
 * deduplicated; the raw topic's end, as bronze has no key to deduplicate by).
 */
export async function rebuildManifest(
  lakeDir: string,
  offsets: Record<string, number[]>,
  nowMs: UnixMs,
): Promise<RebuiltManifest> {
  const manifest = emptyManifest();
  manifest.offsets = offsets;
  const names = (await listFiles(lakeDir)).sort();
  const silver = names.map((name) => [name, SILVER.exec(name)] as const).filter(([, m]) => m !== null);
  const rows = await parquetRows(silver.map(([name]) => join(lakeDir, name)));
  let maxSeq = -1;
  for (const [name, match] of silver) {
    const [, date, venueText, hour, seq] = match as RegExpExecArray;
    const venue = decodeURIComponent(venueText as string);
    const hourTs = dayStart(date as string) + Number(hour) * HOUR_MS;
    maxSeq = Math.max(maxSeq, Number(seq));
    const key = hourKey(venue, hourTs);
    manifest.hours[key] ??= { venue, hourTs, sealed: false, generation: 0, files: [] };
    manifest.hours[key].files.push(await lakeFile(lakeDir, name, rows.get(join(lakeDir, name)) ?? 0));
    const state = manifest.venues[venue];
    if (state === undefined)
      manifest.venues[venue] = { maxTs: hourTs, sealedUntilTs: -1, lastArrivalMs: nowMs };
    else state.maxTs = Math.max(state.maxTs, hourTs);
  }
  let bronzeFiles = 0;
  for (const name of names) {
    const match = BRONZE.exec(name);
    if (match === null) continue;
    const [, sourceText, date, hour, seq] = match;
    const source = decodeURIComponent(sourceText as string);
    const hourTs = dayStart(date as string) + Number(hour) * HOUR_MS;
    maxSeq = Math.max(maxSeq, Number(seq));
    const key = hourKey(source, hourTs);
    manifest.bronze[key] ??= { source, hourTs, sealed: false, files: [] };
    manifest.bronze[key].files.push(await lakeFile(lakeDir, name, await gzipLines(join(lakeDir, name))));
    bronzeFiles++;
  }
  let bronzeJoined = 0;
  for (const hour of Object.values(manifest.bronze)) bronzeJoined += dropJoinedParts(hour);
  manifest.seq = maxSeq + 1;
  return { manifest, silverFiles: silver.length, bronzeFiles, bronzeJoined };
}

/**
 * A sealed bronze hour is one file joining its parts, and the parts stay a while as garbage: when
 * an hour's newest file holds exactly the rows of the others, it is their join, and alone is kept.
 */
function dropJoinedParts(hour: BronzeHour): number {
  if (hour.files.length < 2) return 0;
  const newest = hour.files[hour.files.length - 1] as LakeFile;
  const parts = hour.files.slice(0, -1);
  if (parts.reduce((n, f) => n + f.rows, 0) !== newest.rows) return 0;
  hour.files = [newest];
  return parts.length;
}

async function lakeFile(lakeDir: string, path: string, rows: number): Promise<LakeFile> {
  return { path, rows, bytes: (await stat(join(lakeDir, path))).size };
}

/** Every file under `silver/` and `bronze/`, relative to `lakeDir` with `/` separators. */
async function listFiles(lakeDir: string): Promise<string[]> {
  const out: string[] = [];
  for (const top of ['silver', 'bronze']) {
    let entries: string[];
    try {
      entries = await readdir(join(lakeDir, top), { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    for (const entry of entries) out.push(`${top}/${entry.split('\\').join('/')}`);
  }
  return out;
}

/** Rows of each Parquet file, from its footer. */
async function parquetRows(files: readonly string[]): Promise<Map<string, number>> {
  const rows = new Map<string, number>();
  if (files.length === 0) return rows;
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT file_name, num_rows FROM parquet_file_metadata(${sqlList(files)})`,
    );
    for (const [file, count] of reader.getRows()) rows.set(String(file), Number(count));
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  return rows;
}

/** Lines of a gzip file (one payload each). */
function gzipLines(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let lines = 0;
    createReadStream(path)
      .on('error', reject)
      .pipe(createGunzip())
      .on('error', reject)
      .on('data', (chunk: Buffer) => {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      })
      .on('end', () => resolve(lines));
  });
}
