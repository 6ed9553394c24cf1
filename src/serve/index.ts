export type { ServeApp } from './context.js';
export type {
  BatchReader,
  BatchStatus,
  CandleQuery,
  CandleReader,
  LiveFeed,
  RejectedReader,
  ServeDeps,
  SymbolInfo,
  SystemStatus,
  UptimeReader,
} from './deps.js';
export { type FieldError, SERVE_ERROR_STATUS, type ServeErrorCode, toHttpError } from './errors.js';
export {
  type BuildServerOptions,
  DEFAULT_SERVE_OPTIONS,
  DEFAULT_WS_OPTIONS,
  resolveServeOptions,
  type ServeOptions,
  type WsOptions,
} from './options.js';
export {
  ErrorResponseSchema,
  PipelineStatusSchema,
  type SystemStatusResponse,
  SystemStatusSchema,
} from './schemas.js';
export { buildServer } from './server.js';
export type { WsStats } from './ws/hub.js';
export { type ClientMessage, ClientMessageSchema } from './ws/protocol.js';
