export { BINANCE_CSV_STAGE, isCsvHeader, parseAggTradeCsvLine, parseTradeCsvLine } from './binance/csv.js';
export { toAggTradeFrame } from './binance/encode.js';
export { type ParseResult, parseBool, parseDecimal } from './binance/fields.js';
export type {
  CsvAggTradeRow,
  CsvTradeRow,
  RecordedFrame,
  WsAggTrade,
  WsCombinedFrame,
  WsReply,
  WsTrade,
} from './binance/wire.js';
export { BINANCE_VENUE, BINANCE_WS_STAGE, parseBinanceFrame } from './binance/ws.js';
export { createDedupeWindow, type DedupeWindow } from './dedupe.js';
export { INGEST_ERRORS, type IngestErrorCode } from './errors.js';
export {
  POSITIONS_FILE,
  type RebuiltPosition,
  readWriterState,
  rebuildWriterState,
  type WriterState,
  writeWriterState,
} from './raw-capture.js';
export { detectFormat, REPLAY_FORMATS, type ReplayFormat, symbolFromFileName } from './replay/detect.js';
export {
  inspectReplay,
  REPLAY_DEFAULTS,
  type ReplayInfo,
  type ReplayOptions,
  type ResolvedReplayOptions,
} from './replay/options.js';
export { openReplay } from './replay/replay.js';
export { DEFAULT_SIM_SYMBOLS, type SimSymbol } from './simulator/market.js';
export { createSimulator, SIMULATOR_DEFAULTS, type SimulatorOptions } from './simulator/simulator.js';
export type {
  RawPart,
  Source,
  SourceBatch,
  SourceRunOptions,
  SourceState,
  SourceStatus,
} from './source.js';
export {
  runInWorker,
  WORKER_SOURCE_DEFAULTS,
  type WorkerSource,
  type WorkerSourceOptions,
} from './worker/run-in-worker.js';
export {
  openSource,
  type SourceSpec,
  type WorkerReplayOptions,
  type WorkerSimulatorOptions,
} from './worker/spec.js';
export {
  type AppendedListener,
  createIngestWriter,
  INGEST_WRITER_DEFAULTS,
  type IngestCounters,
  type IngestWriter,
  type IngestWriterOptions,
} from './writer.js';
