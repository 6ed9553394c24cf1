/**
 * Error codes of the ingest stage. Callers branch on the code, never on the message; codes
 * marked retryable may succeed when tried again unchanged.
 */
export const INGEST_ERRORS = {
  /** The replay file does not exist. */
  fileNotFound: 'INGEST_FILE_NOT_FOUND',
  /** The replay file exists but cannot be read (permissions, a directory, an I/O error). */
  fileUnreadable: 'INGEST_FILE_UNREADABLE',
  /** The replay file is damaged (a truncated or invalid gzip stream). */
  fileCorrupt: 'INGEST_FILE_CORRUPT',
  /** The replay file's format could not be recognised, or is not supported. */
  unknownFormat: 'INGEST_UNKNOWN_FORMAT',
  /** A CSV dump whose symbol neither its file name nor the `symbol` option gives. */
  symbolRequired: 'INGEST_SYMBOL_REQUIRED',
  /** A `symbol` option that is not a Binance or canonical symbol. */
  badSymbol: 'INGEST_BAD_SYMBOL',
  /** A `fromPosition` that this source did not produce. */
  badPosition: 'INGEST_BAD_POSITION',
  /** An option out of its range. */
  badOption: 'INGEST_BAD_OPTION',
  /** The log writer's positions file exists but is not one (run `crypto-lambda repair` to rebuild it from the raw topic). */
  positionsCorrupt: 'INGEST_POSITIONS_CORRUPT',
  /** A source's worker thread died or broke its protocol (the source's own errors keep their codes). */
  workerFailed: 'INGEST_WORKER_FAILED',
} as const;

export type IngestErrorCode = (typeof INGEST_ERRORS)[keyof typeof INGEST_ERRORS];
