import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { createIdChains } from '../../src/lake/id-chains.js';
import { openStagedTable } from '../../src/lake/staged-table.js';
import { createTradeStaging } from '../../src/lake/staging.js';
import { DAY0 } from './helpers.js';

describe('staged table', () => {
  it("loads a commit's rows over several turns of the event loop, every row once", async () => {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      // A spy on the real appender: how many chunks went to DuckDB, read at each turn.
      let appended = 0;
      const createAppender = connection.createAppender.bind(connection);
      connection.createAppender = async (table: string) => {
        const appender = await createAppender(table);
        const appendDataChunk = appender.appendDataChunk.bind(appender);
        appender.appendDataChunk = (chunk) => {
          appended++;
          appendDataChunk(chunk);
        };
        return appender;
      };
      const table = await openStagedTable(connection, false);
      const staging = createTradeStaging(createIdChains('run'));
      const rows = 200_000;
      // Interleaved series, as a live flush holds them: chunks of a few hundred rows each.
      const symbols = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT'];
      for (let i = 0; i < rows; i++) {
        staging.pushTrade({
          venue: 'binance',
          symbol: symbols[i % symbols.length] as string,
          tradeId: String(1_000 + i),
          ts: DAY0 + i * 10,
          price: 1 + i / 1e6,
          qty: 1,
          side: 'buy',
          count: 1,
          recvTs: DAY0 + i * 10,
        });
      }
      // Chunk counts seen by successive turns: loading all rows in one turn would show one jump.
      const seen: number[] = [];
      let loading = true;
      const turn = (): void => {
        seen.push(appended);
        if (loading) setImmediate(turn);
      };
      setImmediate(turn);
      await table.load(staging);
      loading = false;
      const steps = new Set(seen.filter((n) => n > 0 && n < appended));
      assert.ok(appended > 0);
      assert.ok(steps.size >= 5, `appends seen part-way by ${steps.size} turns (${appended} chunks)`);
      const reader = await connection.runAndReadAll('SELECT count(*), count(DISTINCT id) FROM staged');
      assert.deepEqual(reader.getRows()[0]?.map(Number), [rows, rows]);
      table.close();
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  });
});
