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
export { openRejectedAppender, type RejectedAppender } from './rejected-appender.js';
export { detectFormat, REPLAY_FORMATS, type ReplayFormat, symbolFromFileName } from './replay/detect.js';
export { type DumpProgress, type DumpReadOptions, type DumpSink, readDump } from './replay/dump.js';
export {
  inspectReplay,
  REPLAY_DEFAULTS,
  type ReplayInfo,
  type ReplayOptions,
  type ResolvedReplayOptions,
} from './replay/options.js';
export { openReplay } from './replay/replay.js';
export { DEFAULT_SIM_SYMBOLS, type SimSymbol } from './simulator/market.js';
export { createRng, type Rng } from './simulator/rng.js';
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
  BINANCE_CSV_LAYOUTS,
  BINANCE_CSV_STAGE,
  type BinanceCsvLayout,
  csvLayout,
  csvRowParser,
  isCsvHeader,
} from './venues/binance/csv.js';
export { toAggTradeFrame } from './venues/binance/encode.js';
export { BINANCE_COINM_VENUE, BINANCE_USDM_VENUE, BINANCE_VENUE } from './venues/binance/fields.js';
export { BINANCE } from './venues/binance/index.js';
export { binanceToCanonical, canonicalToBinance } from './venues/binance/symbols.js';
export type {
  CsvAggTradeRow,
  CsvTradeRow,
  RecordedFrame,
  WsAggTrade,
  WsCombinedFrame,
  WsReply,
  WsTrade,
} from './venues/binance/wire.js';
export { BINANCE_WS_STAGE, parseBinanceFrame } from './venues/binance/ws.js';
export {
  canonicalSymbolOf,
  detectFormats,
  FILE_FORMATS,
  FORMAT_IDS,
  formatById,
  VENUES,
  venueOfFormat,
} from './venues/index.js';
export { type ParseResult, parseBool, parseDecimal } from './venues/parse.js';
export type { FileFormat, FileHead, FileNameInfo, LineParser, MarketDef, VenueDef } from './venues/venue.js';
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
