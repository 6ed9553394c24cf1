import type { FastifyError } from 'fastify';
import { CryptoLambdaError, isCryptoLambdaError } from '../domain/index.js';
import type { BatchReader } from './deps.js';
import type { ErrorResponse } from './schemas.js';

/**
 * The serving layer's error catalogue. Codes are stable: clients of the HTTP API and the
 * WebSocket branch on them. HTTP statuses are mapped here and nowhere else.
 */
export const SERVE_ERROR_STATUS = {
  /** A query parameter or message field is missing, malformed or out of range; `field` names it. */
  INVALID_PARAMETER: 400,
  /** The request is malformed in a way that is not about one parameter (bad JSON body, ...). */
  BAD_REQUEST: 400,
  /** No symbol of that name is known (on that venue); `field` is `symbol`. */
  UNKNOWN_SYMBOL: 404,
  /** No symbol at all is known on that venue; `field` is `venue`. */
  UNKNOWN_VENUE: 404,
  /** No route matches the method and path. */
  ROUTE_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  /** A dependency failed with a retryable error; try again later. */
  UNAVAILABLE: 503,
  /** The process runs without a batch layer (no lake), so batch views cannot be served. */
  BATCH_UNAVAILABLE: 503,
  /** Anything else. The message is generic; details go to the server log only. */
  INTERNAL_ERROR: 500,
  /** WebSocket: a message that is not a JSON object of the protocol. */
  BAD_MESSAGE: 400,
  /** WebSocket: an `op` the protocol does not know. */
  UNKNOWN_OP: 400,
  /** WebSocket: a channel name that does not parse. */
  INVALID_CHANNEL: 400,
  /** WebSocket: the connection holds the most subscriptions it may. */
  TOO_MANY_SUBSCRIPTIONS: 400,
  /** `buildServer` options that fail validation (thrown at start, never sent). */
  INVALID_OPTIONS: 500,
} as const satisfies Record<string, number>;

export type ServeErrorCode = keyof typeof SERVE_ERROR_STATUS;

/** A serve error that names the parameter at fault. */
export type FieldError = CryptoLambdaError & { field?: string };

export function serveError(code: ServeErrorCode, message: string, field?: string): FieldError {
  const error: FieldError = new CryptoLambdaError(code, message);
  if (field !== undefined) error.field = field;
  return error;
}

export function invalidParameter(field: string, message: string): FieldError {
  return serveError('INVALID_PARAMETER', message, field);
}

/** The batch reader, or `BATCH_UNAVAILABLE` when the process runs without a batch layer. */
export function requireBatch(batch: BatchReader | undefined): BatchReader {
  if (batch === undefined) {
    throw serveError('BATCH_UNAVAILABLE', 'batch views are not available: this process runs without a lake');
  }
  return batch;
}

function isServeCode(code: string): code is ServeErrorCode {
  return Object.hasOwn(SERVE_ERROR_STATUS, code);
}

/** 5xx codes raised by the serving layer itself with a message it wrote, so the body keeps both. */
const OWN_5XX: ReadonlySet<ServeErrorCode> = new Set(['BATCH_UNAVAILABLE']);

interface AjvIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** The parameter an AJV error is about: the missing or unknown property, else the first path segment. */
export function fieldOfValidation(issue: AjvIssue): string {
  const missing = issue.params['missingProperty'] ?? issue.params['additionalProperty'];
  if (typeof missing === 'string') return missing;
  const segment = issue.instancePath.split('/')[1];
  return segment === undefined || segment === ''
    ? 'query'
    : decodeURIComponent(segment.replaceAll('~1', '/'));
}

function validationMessage(issue: AjvIssue, field: string, context: string): string {
  const where = context === 'querystring' ? 'query parameter' : `${context} field`;
  switch (issue.keyword) {
    case 'required':
      return `${where} "${field}" is required`;
    case 'additionalProperties':
      return `unknown ${where} "${field}"`;
    case 'enum':
      return `${where} "${field}" must be one of ${[issue.params['allowedValues']].flat().join(', ')}`;
    default:
      return `${where} "${field}" ${issue.message ?? 'is invalid'}`;
  }
}

export interface HttpError {
  status: number;
  body: ErrorResponse;
}

function body(code: ServeErrorCode, message: string, field?: string): ErrorResponse {
  return { error: field === undefined ? { code, message } : { code, message, field } };
}

/**
 * Maps anything a handler or fastify throws to a status and a JSON body. Schema-validation
 * failures name the parameter; 5xx bodies carry a stable code and a generic message, never
 * the error's own text or stack.
 */
export function toHttpError(error: unknown): HttpError {
  const fastifyError = error as Partial<FastifyError>;
  const issue = fastifyError.validation?.[0] as AjvIssue | undefined;
  if (issue !== undefined) {
    const field = fieldOfValidation(issue);
    const message = validationMessage(issue, field, fastifyError.validationContext ?? 'request');
    return { status: 400, body: body('INVALID_PARAMETER', message, field) };
  }
  if (isCryptoLambdaError(error)) {
    if (isServeCode(error.code) && (SERVE_ERROR_STATUS[error.code] < 500 || OWN_5XX.has(error.code))) {
      const field = (error as FieldError).field;
      return { status: SERVE_ERROR_STATUS[error.code], body: body(error.code, error.message, field) };
    }
    return error.retryable
      ? { status: 503, body: body('UNAVAILABLE', 'a dependency is unavailable; try again later') }
      : { status: 500, body: body('INTERNAL_ERROR', 'internal server error') };
  }
  const statusCode = fastifyError.statusCode;
  if (statusCode === 413) return { status: 413, body: body('PAYLOAD_TOO_LARGE', 'request body too large') };
  if (statusCode === 415) {
    return { status: 415, body: body('UNSUPPORTED_MEDIA_TYPE', 'unsupported content type') };
  }
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    // fastify's own 4xx messages describe the request, not the server, so they are safe to show.
    return { status: 400, body: body('BAD_REQUEST', fastifyError.message ?? 'bad request') };
  }
  return { status: 500, body: body('INTERNAL_ERROR', 'internal server error') };
}

export function routeNotFound(method: string, url: string): HttpError {
  const path = url.split('?')[0] ?? url;
  return { status: 404, body: body('ROUTE_NOT_FOUND', `no route ${method} ${path}`) };
}
