/**
 * Error codes of the speed stage. Callers branch on the code, never on the message; the
 * `retryable` flag travels on the error itself (`CryptoLambdaError.retryable`).
 */
export const SPEED_ERRORS = {
  /** Operator or view options out of range (not retryable: fix the config). */
  badOptions: 'SPEED_BAD_OPTIONS',
  /** A snapshot given to `restore` is not one this operator wrote (wrong shape, version or intervals). */
  badSnapshot: 'SPEED_BAD_SNAPSHOT',
  /** A checkpoint file exists but is not a complete checkpoint (truncated, edited, not JSON). */
  checkpointCorrupt: 'SPEED_CHECKPOINT_CORRUPT',
  /** Reading or writing a checkpoint failed at the file system (retryable). */
  checkpointIo: 'SPEED_CHECKPOINT_IO',
} as const;

export type SpeedErrorCode = (typeof SPEED_ERRORS)[keyof typeof SPEED_ERRORS];
