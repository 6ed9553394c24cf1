import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Trade } from '../../../../src/domain/index.js';
import {
  BINANCE,
  createIngestWriter,
  openReplay,
  type ParseResult,
  parseBinanceFrame,
  type Source,
} from '../../../../src/ingest/index.js';
import { forEachEvent, openFileLog, TOPICS } from '../../../../src/log/index.js';
import { COINM_CAPTURE, collect, fixtureLines, USDM_CAPTURE, WS_JSONL } from '../../fixtures.js';
import { aggRows, tempDir } from '../../replay/tmp.js';

/**
 * Binance's markets are venues of their own (ARCHITECTURE.md §3): spot `binance`, USD-M futures
 * `binance-usdm`, COIN-M futures `binance-coinm`. They reuse trade ids, so a futures trade stored
 * as `binance` was deduplicated against the spot trade of the same id and lost.
 */

const tmp = tempDir();
after(() => tmp.cleanup());
const NOW = Date.UTC(2026, 0, 1);

const tradeOf = (result: ParseResult): Trade => {
  assert.equal(result.kind, 'trade', JSON.stringify(result));
  return (result as { trade: Trade }).trade;
};
/** A capture's frame lines (`<seconds>: <frame>`), its `wss://` header left out. */
const frameLines = (path: string): string[] => fixtureLines(path).filter((l) => !l.startsWith('wss://'));

/** Every trade of the trades topic after running `sources` one after another into one fresh log. */
async function throughLog(name: string, sources: Source[]): Promise<Trade[]> {
  const dir = tmp.path(name);
  mkdirSync(dir, { recursive: true });
  const log = await openFileLog({ dir: join(dir, 'log') });
  try {
    const writer = await createIngestWriter(log, dir);
    for (const source of sources) await writer.run(source, new AbortController().signal);
    const out: Trade[] = [];
    for (let p = 0; p < TOPICS.trades.config.partitions; p++) {
      await forEachEvent(log, TOPICS.trades, p, 0, (t) => out.push(t));
    }
    return out;
  } finally {
    await log.close();
  }
}

describe('Binance markets', () => {
  it('lists its markets, and every format names one of them (or leaves it to the frames)', () => {
    const venues = BINANCE.markets.map((m) => m.venue);
    assert.deepEqual(venues, ['binance', 'binance-usdm', 'binance-coinm']);
    for (const format of BINANCE.formats) {
      assert.ok(format.market === undefined || venues.includes(format.market), format.id);
    }
  });

  it('reads real USD-M frames (no M field, fstream.binance.com) as binance-usdm trades', () => {
    const lines = frameLines(USDM_CAPTURE);
    assert.equal(lines.length, 91);
    for (const line of lines) {
      const trade = tradeOf(parseBinanceFrame(line, undefined, 'usdm', NOW));
      assert.equal(trade.venue, 'binance-usdm', line);
    }
    // The real spot frames, which carry M, stay spot.
    const spot = fixtureLines(WS_JSONL).map((l) => parseBinanceFrame(l, undefined, 'spot', NOW));
    const spotTrades = spot.filter((r) => r.kind === 'trade').map(tradeOf);
    assert.equal(spotTrades.length, 24);
    assert.ok(spotTrades.every((t) => t.venue === 'binance'));
  });

  it('reads real COIN-M perpetual frames as binance-coinm, and rejects dated contracts by name', () => {
    const results = frameLines(COINM_CAPTURE).map((l) => ({
      l,
      r: parseBinanceFrame(l, undefined, 'cm', NOW),
    }));
    const perps = results.filter(({ l }) => l.includes('_PERP"'));
    assert.equal(perps.length, 39);
    for (const { r } of perps) assert.equal(tradeOf(r).venue, 'binance-coinm');
    assert.deepEqual([...new Set(perps.map(({ r }) => tradeOf(r).symbol))].sort(), [
      'BCH-USD',
      'EOS-USD',
      'ETC-USD',
      'LINK-USD',
      'XRP-USD',
    ]);
    const dated = results.filter(({ l }) => !l.includes('_PERP"'));
    assert.equal(dated.length, 12);
    for (const { r } of dated) {
      assert.equal(r.kind, 'rejected');
      if (r.kind === 'rejected') {
        assert.equal(r.rejected.reason, 'unknown_symbol');
        assert.match(r.rejected.detail, /dated delivery contract/);
      }
    }
  });

  it('keeps spot and futures trades with the same ids: both survive the log writer (frames)', async () => {
    // Three real USD-M frames, and spot frames of the same symbol and ids in spot's layout (with M).
    const futures = frameLines(USDM_CAPTURE).slice(0, 3);
    const spot = futures.map((line) => {
      const frame = JSON.parse(line.slice(line.indexOf(': ') + 2)) as { data: Record<string, unknown> };
      const d = frame.data;
      const ordered = { e: d['e'], E: d['E'], s: d['s'], a: d['a'], p: d['p'], q: d['q'] };
      return JSON.stringify({ ...ordered, f: d['f'], l: d['l'], T: d['T'], m: d['m'], M: true });
    });
    const file = tmp.write('mixed.jsonl', [...spot, ...futures]);
    const trades = await throughLog('frames', [openReplay(file, { now: () => NOW })]);
    assert.equal(trades.length, 6);
    const ids = (venue: string): string[] =>
      trades
        .filter((t) => t.venue === venue)
        .map((t) => `${t.symbol}:${t.tradeId}`)
        .sort();
    assert.deepEqual(ids('binance'), ids('binance-usdm'));
    assert.equal(ids('binance').length, 3);
  });

  it('keeps spot and futures trades with the same ids: both survive the log writer (dumps)', async () => {
    // The same rows as a spot dump (8 columns) and a USD-M futures dump (7), headerless as
    // data.binance.vision's: only the layout tells the markets apart.
    const rows = aggRows().slice(0, 3);
    const spotFile = tmp.write(
      'spot.csv',
      rows.map((r) => r.join(',')),
    );
    const futuresFile = tmp.write(
      'um.csv',
      rows.map((r) => r.slice(0, 7).join(',')),
    );
    const symbol = 'XRPETH';
    const trades = await throughLog('dumps', [
      openReplay(spotFile, { symbol }),
      openReplay(futuresFile, { symbol }),
    ]);
    assert.equal(trades.length, 6);
    assert.deepEqual(trades.filter((t) => t.venue === 'binance').length, 3);
    assert.deepEqual(trades.filter((t) => t.venue === 'binance-usdm').length, 3);
  });

  it('replays a real USD-M capture end to end as binance-usdm', async () => {
    const batches = await collect(openReplay(USDM_CAPTURE, { now: () => NOW }));
    const trades = batches.flatMap((b) => b.trades);
    assert.equal(trades.length, 91);
    assert.ok(trades.every((t) => t.venue === 'binance-usdm'));
  });
});
