/** The lake: bronze (raw payloads) and silver (clean trades) written by a log consumer; gold paths for the batch layer. */
export {
  type BulkCommit,
  type BulkDump,
  type BulkLoader,
  type BulkLoaderOptions,
  type BulkSeal,
  openBulkLoader,
} from './bulk.js';
export { LAKE_ERRORS, type LakeErrorCode } from './errors.js';
export type { ExternalCommit, LakeChange } from './flush.js';
export {
  DAY_MS,
  datesBetween,
  dayStart,
  goldFile,
  HOUR_MS,
  hourOf,
  MANIFEST_FILE,
  pathSegment,
  tempName,
  utcDate,
} from './layout.js';
export {
  type BronzeHour,
  type DumpFile,
  type LakeFile,
  type LakeManifest,
  lakeSize,
  loadManifest,
  type SilverHour,
  saveManifest,
  type VenueState,
} from './manifest.js';
export { type RebuiltManifest, rebuildManifest } from './manifest-rebuild.js';
export { createLakeReader, type LakeReader, openLakeReader } from './reader.js';
export { readParquetSql, sqlList, sqlText } from './sql.js';
export { sweepFiles } from './sweep.js';
export {
  LAKE_WRITER_DEFAULTS,
  type LakeWriter,
  type LakeWriterOptions,
  type OpenLakeWriterOptions,
  openLakeWriter,
} from './writer.js';
