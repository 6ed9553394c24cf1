import { type Static, Type } from 'typebox';

/**
 * One source batch's payloads exactly as received, for the lake's bronze layer (ARCHITECTURE.md
 * §2: bronze keeps raw input as received). The `raw` log topic carries one per batch of a source
 * that receives payloads (a replay's lines, a connector's frames); the simulator makes its trades
 * and has none. Payloads that failed validation are in it too: bronze keeps everything.
 *
 * @example
 * { source: 'replay:XRPETH-aggTrades-2019-10-11.csv.gz', position: '2001', recvTs: 1718000000000,
 *   payloads: ['agg_trade_id,price,quantity,…', '13519807,0.00141342,23.00000000,…'] }
 */
export const RawBatchSchema = Type.Object(
  {
    /** The source's name (`Source.name`), also the record's key in the `raw` topic. */
    source: Type.String({ minLength: 1 }),
    /**
     * The source's resume position after this batch (`SourceBatch.position`, opaque). With
     * `source` it names the batch: the log writer drops a batch's raw record it has appended
     * already (a replay resumed after a crash re-reads some lines), and a reader can do the same.
     */
    position: Type.String(),
    /**
     * When the batch's payloads were received, ms since the Unix epoch: the receive time recorded
     * with the first payload that has one (a recorded WebSocket capture), else when they were read.
     */
    recvTs: Type.Integer(),
    /**
     * Each payload exactly as received, in order: one line of a file (a CSV row or header, a
     * recorded frame line with its recording envelope), one WebSocket frame's text. Blank lines
     * carry nothing and are left out. A payload may hold any text, newlines included.
     */
    payloads: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type RawBatch = Static<typeof RawBatchSchema>;
