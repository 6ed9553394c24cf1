/**
 * Errors carry a stable `code`; callers branch on it, never on the message. Each stage keeps
 * its own catalogue of codes; `retryable` is data, and `cause` chains the underlying error.
 */
export class CryptoLambdaError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** What a caller may act on besides the code (e.g. where a log is damaged), as plain data. */
  readonly details: unknown;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; cause?: unknown; details?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CryptoLambdaError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }
}

export function isCryptoLambdaError(error: unknown, code?: string): error is CryptoLambdaError {
  return error instanceof CryptoLambdaError && (code === undefined || error.code === code);
}
