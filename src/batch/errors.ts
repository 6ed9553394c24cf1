/** Error codes of the batch stage. Callers branch on the code, never on the message. */
export const BATCH_ERRORS = {
  /** The job graph is invalid: an unknown dependency, a duplicate name, a cycle. */
  badDag: 'BATCH_BAD_DAG',
  /** No job has that name. */
  unknownJob: 'BATCH_UNKNOWN_JOB',
  /** A job's SQL or file I/O failed after every retry (retryable). */
  jobFailed: 'BATCH_JOB_FAILED',
  /** A date argument that is not `YYYY-MM-DD`. */
  badDate: 'BATCH_BAD_DATE',
} as const;

export type BatchErrorCode = (typeof BATCH_ERRORS)[keyof typeof BATCH_ERRORS];
