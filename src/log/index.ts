export { describeDamage, type LogDamage, logDamageOf } from './adapters/file/damage.js';
export {
  type FileEventLog,
  type OpenFileLogOptions,
  openFileLog,
} from './adapters/file/file-log.js';
export { FILE_LOG_DEFAULTS, type FileLogOptions, type FsyncMode } from './adapters/file/options.js';
export { fnv1a32, partitionForKey } from './adapters/file/partitioner.js';
export type { RecoveryNote } from './adapters/file/recover.js';
export {
  type LogRepairReport,
  type LostRange,
  type RepairedLog,
  repairFileLog,
} from './adapters/file/repair.js';
export { readJsonFile, writeFileAtomic } from './atomic-file.js';
export { candleBinaryCodec } from './candle-codec.js';
export {
  type ConsumedBatch,
  type ConsumedRound,
  type ConsumeOptions,
  type Consumer,
  consume,
  forEachValue,
} from './consume.js';
export { checkConsumerOffsets, type OffsetPastEnd } from './consumer-check.js';
export {
  type AppendAck,
  type AppendRecord,
  type EventLog,
  LOG_ERRORS,
  type LogErrorCode,
  type PartitionOffsets,
  type ReadOptions,
  type StoredRecord,
  type TopicConfig,
} from './event-log.js';
export { createHandoff, type Handoff } from './handoff.js';
export {
  bronzeLine,
  decodeRawBatchHeader,
  encodeRawBatch,
  forEachRawPayload,
  type RawBatchHeader,
  rawBatchCodec,
  rawBronzeMember,
} from './raw-codec.js';
export { batchTs, type Codec, type EventMap, jsonCodec, TOPICS, type TopicDef } from './topics.js';
export {
  decodeTradeAt,
  encodedTradeBytes,
  encodeTradeInto,
  newTradeFields,
  readTradeFields,
  type SeriesName,
  type TradeFields,
  tradeBinaryCodec,
} from './trade-codec.js';
export {
  appendEvents,
  type DecodedRecord,
  decodeRecords,
  decodeStoredRecords,
  ensureTopics,
  forEachEvent,
  toAppendRecords,
} from './typed.js';
