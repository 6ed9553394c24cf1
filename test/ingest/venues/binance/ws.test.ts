import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTrade, REJECT_REASONS, type RejectReason, type Trade } from '../../../../src/domain/index.js';
import { type ParseResult, parseBinanceFrame } from '../../../../src/ingest/index.js';
import { fixtureLines, WS_JSONL } from '../../fixtures.js';

const NOW = Date.UTC(2021, 3, 17, 17);
const ORIGIN = 'test:1';

interface Recorded {
  received_at: number;
  raw: { stream: string; data: Record<string, unknown> };
}

const recorded = fixtureLines(WS_JSONL).map((line) => JSON.parse(line) as Recorded);
const aggFrames = recorded.filter((r) => r.raw.data['e'] === 'aggTrade');
const klineFrames = recorded.filter((r) => r.raw.data['e'] === 'kline');
const first = aggFrames[0]!;
const firstRaw = JSON.stringify(first.raw.data);

function tradeOf(result: ParseResult): Trade {
  assert.equal(result.kind, 'trade', JSON.stringify(result));
  return (result as { trade: Trade }).trade;
}

function reasonOf(result: ParseResult): RejectReason {
  assert.equal(result.kind, 'rejected', JSON.stringify(result));
  return (result as { rejected: { reason: RejectReason } }).rejected.reason;
}

function withField(field: string, value: unknown): string {
  return JSON.stringify({ ...first.raw.data, [field]: value });
}

function without(field: string): string {
  const copy = { ...first.raw.data };
  delete copy[field];
  return JSON.stringify(copy);
}

describe('parseBinanceFrame', () => {
  it('parses a real aggTrade frame field by field', () => {
    // {"e":"aggTrade","E":1618677373913,"s":"SWRVBUSD","a":749094,"p":"2.27600000","q":"21.96300000",
    //  "f":1135632,"l":1135632,"T":1618677373912,"m":false,"M":true}
    const trade = tradeOf(parseBinanceFrame(firstRaw, undefined, ORIGIN, NOW));
    const d = first.raw.data;
    assert.deepEqual(trade, {
      venue: 'binance',
      symbol: 'SWRV-BUSD',
      tradeId: String(d['a']),
      ts: d['T'],
      price: Number(d['p']),
      qty: Number(d['q']),
      side: 'buy',
      count: (d['l'] as number) - (d['f'] as number) + 1,
      recvTs: d['E'],
    });
    assert.equal(checkTrade(trade, NOW), undefined);
  });

  it('gives every recorded aggTrade the same trade in each envelope, with the right receive time', () => {
    for (const r of aggFrames) {
      const raw = tradeOf(parseBinanceFrame(JSON.stringify(r.raw.data), undefined, ORIGIN, NOW));
      const combined = tradeOf(parseBinanceFrame(JSON.stringify(r.raw), undefined, ORIGIN, NOW));
      const wrapped = tradeOf(parseBinanceFrame(JSON.stringify(r), undefined, ORIGIN, NOW));
      const capture = tradeOf(
        parseBinanceFrame(`${r.received_at}: ${JSON.stringify(r.raw)}`, undefined, ORIGIN, NOW),
      );
      const live = tradeOf(parseBinanceFrame(JSON.stringify(r.raw), 1618677400123, ORIGIN, NOW));
      assert.equal(raw.recvTs, r.raw.data['E']);
      assert.deepEqual(combined, raw);
      const recvMs = Math.round(r.received_at * 1000);
      assert.deepEqual(wrapped, { ...raw, recvTs: recvMs });
      assert.deepEqual(capture, { ...raw, recvTs: recvMs });
      assert.deepEqual(live, { ...raw, recvTs: 1618677400123 });
      assert.ok(Number.isInteger(wrapped.recvTs));
      assert.equal(raw.side, r.raw.data['m'] ? 'sell' : 'buy');
    }
  });

  it('maps m:true (buyer is maker) to a taker sell, and counts l - f + 1 raw trades', () => {
    const sell = tradeOf(parseBinanceFrame(withField('m', true), undefined, ORIGIN, NOW));
    assert.equal(sell.side, 'sell');
    const wide = JSON.stringify({ ...first.raw.data, f: 100, l: 104 });
    assert.equal(tradeOf(parseBinanceFrame(wide, undefined, ORIGIN, NOW)).count, 5);
  });

  it('parses a raw trade frame with count 1 and the trade id', () => {
    const d = first.raw.data;
    const frame = {
      e: 'trade',
      E: d['E'],
      s: d['s'],
      t: 1135632,
      p: d['p'],
      q: d['q'],
      T: d['T'],
      m: true,
      M: true,
    };
    const trade = tradeOf(parseBinanceFrame(JSON.stringify(frame), undefined, ORIGIN, NOW));
    assert.deepEqual(trade, {
      venue: 'binance',
      symbol: 'SWRV-BUSD',
      tradeId: '1135632',
      ts: d['T'],
      price: 2.276,
      qty: 21.963,
      side: 'sell',
      count: 1,
      recvTs: d['E'],
    });
  });

  it('converts µs event times (timeUnit=MICROSECOND) to ms', () => {
    const d = first.raw.data;
    const frame = JSON.stringify({ ...d, T: (d['T'] as number) * 1000 + 417, E: (d['E'] as number) * 1000 });
    const trade = tradeOf(parseBinanceFrame(frame, undefined, ORIGIN, NOW));
    assert.equal(trade.ts, d['T']);
    assert.equal(trade.recvTs, d['E']);
  });

  it('ignores valid frames that are not trades', () => {
    const ignored = [
      ...klineFrames.map((r) => JSON.stringify(r)),
      ...klineFrames.map((r) => JSON.stringify(r.raw.data)),
      '{"result":null,"id":1}',
      '{"error":{"code":2,"msg":"Invalid request"},"id":3}',
      '{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}',
      '{"lastUpdateId":160,"bids":[["0.0024","10"]],"asks":[["0.0026","100"]]}',
      '{"e":"depthUpdate","E":1672515782136,"s":"BNBBTC","U":157,"u":160,"b":[],"a":[]}',
      '[{"e":"24hrMiniTicker","E":1672515782136,"s":"BNBBTC","c":"0.0025"}]',
      'wss://stream.binance.com:9443/stream?streams=btcusdt@aggTrade <-> 1618677371.364407',
      '',
      '   ',
    ];
    for (const line of ignored)
      assert.equal(parseBinanceFrame(line, undefined, ORIGIN, NOW).kind, 'ignored', line);
  });

  it('rejects bad frames with stable reasons and keeps the line and origin', () => {
    const cases: [string, RejectReason][] = [
      ['{"e":"aggTrade",', 'bad_json'],
      ['not json at all', 'bad_json'],
      [`1618677374.03: ${firstRaw.slice(0, 40)}`, 'bad_json'],
      ['42', 'schema_mismatch'],
      ['null', 'schema_mismatch'],
      ['{"foo":1}', 'schema_mismatch'],
      [without('p'), 'schema_mismatch'],
      [without('E'), 'schema_mismatch'],
      [withField('p', 2.276), 'schema_mismatch'],
      [withField('T', '1618677373912'), 'schema_mismatch'],
      [withField('m', 'false'), 'schema_mismatch'],
      [withField('e', 7), 'schema_mismatch'],
      [withField('e', 'aggTrades'), 'unsupported_event'],
      [withField('p', 'NaN'), 'invalid_price'],
      [withField('p', 'Infinity'), 'invalid_price'],
      [withField('p', '-2.276'), 'invalid_price'],
      [withField('p', '0.00000000'), 'invalid_price'],
      [withField('p', '0x10'), 'invalid_price'],
      [withField('p', '1e3'), 'invalid_price'],
      [withField('q', ''), 'invalid_qty'],
      [withField('q', '0'), 'invalid_qty'],
      [withField('T', 1e20), 'invalid_time'],
      [withField('T', 1618677373912.5), 'invalid_time'],
      [withField('T', 1618677373), 'time_out_of_range'],
      [withField('E', 1.5), 'invalid_time'],
      [withField('T', 1e300), 'invalid_time'],
      [withField('T', -5), 'time_out_of_range'],
      [withField('T', 1_000_000), 'time_out_of_range'],
      [withField('T', NOW + 3 * 86_400_000), 'time_out_of_range'],
      [withField('s', 'NOTASYMBOL'), 'unknown_symbol'],
      [withField('s', ''), 'unknown_symbol'],
      [withField('a', -1), 'invalid_id'],
      [withField('a', 1.5), 'invalid_id'],
      [withField('l', (first.raw.data['f'] as number) - 1), 'invalid_id'],
      ['{"received_at":"x","raw":{}}', 'schema_mismatch'],
      ['{"received_at":1618677374.1,"raw":"{oops"}', 'bad_json'],
      [
        JSON.stringify({ stream: 'a', data: { stream: 'b', data: { stream: 'c', data: first.raw.data } } }),
        'schema_mismatch',
      ],
    ];
    for (const [line, reason] of cases) {
      const result = parseBinanceFrame(line, undefined, ORIGIN, NOW);
      assert.equal(reasonOf(result), reason, line);
      const rejected = (result as Extract<ParseResult, { kind: 'rejected' }>).rejected;
      assert.equal(rejected.payload, line);
      assert.equal(rejected.origin, ORIGIN);
      assert.equal(rejected.stage, 'ingest:binance-ws');
      assert.equal(rejected.ts, NOW);
      assert.ok(REJECT_REASONS.includes(rejected.reason));
      assert.ok(rejected.detail.length > 0);
    }
  });

  it('accepts extra fields (futures add some) and lower-case symbols', () => {
    const extra = JSON.stringify({ ...first.raw.data, nq: '21.9', X: 'MARKET', s: 'swrvbusd' });
    assert.equal(tradeOf(parseBinanceFrame(extra, undefined, ORIGIN, NOW)).symbol, 'SWRV-BUSD');
  });
});
