import type { FastifyBaseLogger } from 'fastify';
import { CryptoLambdaError } from '../domain/index.js';
import { MAX_LIMIT } from './schemas.js';

/** Per-connection WebSocket limits; see `ws/sender.ts` for how they bound memory. */
export interface WsOptions {
  /**
   * Candles in the snapshot that answers a subscription, unless the message asks for another `limit`.
   * @default 500
   */
  snapshotLimit: number;
  /**
   * Above this many bytes waiting in the socket, updates are coalesced (the latest per channel and
   * candle is kept) instead of written, and sent once the socket drains.
   * @default 262_144
   */
  coalesceAboveBytes: number;
  /**
   * A client whose frames waiting to be written exceed this many bytes is closed (1008, `slow_consumer`).
   * @default 4_194_304
   */
  closeAboveBytes: number;
  /**
   * A client whose socket has not drained below `coalesceAboveBytes` for this long while frames
   * wait is closed as stalled.
   * @default 30_000
   */
  stallTimeoutMs: number;
  /**
   * How often a connection with waiting frames checks whether its socket drained.
   * @default 20
   */
  drainCheckMs: number;
  /**
   * Most waiting frames per connection, however small; more closes the client.
   * @default 10_000
   */
  maxPendingFrames: number;
  /**
   * Most channels one connection may subscribe to.
   * @default 100
   */
  maxSubscriptions: number;
  /**
   * Largest client message accepted; a larger one closes the connection (1009).
   * @default 4_096
   */
  maxPayloadBytes: number;
  /**
   * Period of the `status` channel.
   * @default 1_000
   */
  statusIntervalMs: number;
}

/** Options of {@link buildServer}. */
export interface ServeOptions {
  /**
   * A pino logger (or any fastify-compatible logger). Without one the server logs nothing.
   * @default undefined
   */
  logger: FastifyBaseLogger | undefined;
  /**
   * Largest request body accepted; larger ones get 413 `PAYLOAD_TOO_LARGE`.
   * @default 65_536
   */
  bodyLimitBytes: number;
  /**
   * Venue chosen for a symbol listed on several venues, or on none, when a request names no venue.
   * @default 'binance'
   */
  defaultVenue: string;
  /**
   * Collect Node process metrics (CPU, memory, event loop, GC) into the server's registry.
   * @default true
   */
  processMetrics: boolean;
  /**
   * Serve the dashboard at `/`.
   * @default true
   */
  dashboard: boolean;
  ws: WsOptions;
}

export const DEFAULT_WS_OPTIONS: WsOptions = {
  snapshotLimit: 500,
  coalesceAboveBytes: 262_144,
  closeAboveBytes: 4_194_304,
  stallTimeoutMs: 30_000,
  drainCheckMs: 20,
  maxPendingFrames: 10_000,
  maxSubscriptions: 100,
  maxPayloadBytes: 4_096,
  statusIntervalMs: 1_000,
};

export const DEFAULT_SERVE_OPTIONS: ServeOptions = {
  logger: undefined,
  bodyLimitBytes: 65_536,
  defaultVenue: 'binance',
  processMetrics: true,
  dashboard: true,
  ws: DEFAULT_WS_OPTIONS,
};

/** What callers pass: any subset, `ws` included. */
export type BuildServerOptions = Partial<Omit<ServeOptions, 'ws'>> & { ws?: Partial<WsOptions> };

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new CryptoLambdaError(
      'INVALID_OPTIONS',
      `serve option ${name} must be an integer in [1, ${max}], got ${value}`,
    );
  }
}

/** Fills defaults and validates once, at start. Throws `INVALID_OPTIONS`. */
export function resolveServeOptions(options: BuildServerOptions = {}): ServeOptions {
  const resolved: ServeOptions = {
    ...DEFAULT_SERVE_OPTIONS,
    ...options,
    ws: { ...DEFAULT_WS_OPTIONS, ...options.ws },
  };
  positiveInteger('bodyLimitBytes', resolved.bodyLimitBytes);
  if (!/^[a-z0-9_-]{1,32}$/.test(resolved.defaultVenue)) {
    throw new CryptoLambdaError(
      'INVALID_OPTIONS',
      `serve option defaultVenue "${resolved.defaultVenue}" is not a venue id`,
    );
  }
  const ws = resolved.ws;
  positiveInteger('ws.snapshotLimit', ws.snapshotLimit, MAX_LIMIT);
  for (const key of [
    'coalesceAboveBytes',
    'closeAboveBytes',
    'stallTimeoutMs',
    'drainCheckMs',
    'maxPendingFrames',
    'maxSubscriptions',
    'maxPayloadBytes',
    'statusIntervalMs',
  ] as const) {
    positiveInteger(`ws.${key}`, ws[key]);
  }
  if (ws.closeAboveBytes <= ws.coalesceAboveBytes) {
    throw new CryptoLambdaError(
      'INVALID_OPTIONS',
      'serve option ws.closeAboveBytes must exceed ws.coalesceAboveBytes',
    );
  }
  return resolved;
}
