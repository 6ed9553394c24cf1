/** Error codes of the lake stage. Callers branch on the code, never on the message. */
export const LAKE_ERRORS = {
  /** `_manifest.json` exists but is not a manifest this version wrote (delete the lake to rebuild it from the log). */
  manifestCorrupt: 'LAKE_MANIFEST_CORRUPT',
  /** Writing a lake file failed at the file system or in DuckDB (retryable). */
  io: 'LAKE_IO',
  /** A venue or source name that cannot be a path segment. */
  badName: 'LAKE_BAD_NAME',
  /** Options out of range (fix the config). */
  badOptions: 'LAKE_BAD_OPTIONS',
} as const;

export type LakeErrorCode = (typeof LAKE_ERRORS)[keyof typeof LAKE_ERRORS];
