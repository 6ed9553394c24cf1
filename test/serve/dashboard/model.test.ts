import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applyCandle,
  type BarSource,
  candleChannelName,
  candlesUrl,
  chartNote,
  DOWN_COLOR,
  formatDuration,
  formatPrice,
  GAP_COLOR,
  moverRows,
  PLACEHOLDER,
  parseServerMessage,
  pickInterval,
  pricePrecision,
  reconnectDelayMs,
  setBars,
  statusView,
  symbolChoices,
  toChartBar,
  toVolumeBar,
  trendingRows,
  UP_COLOR,
  wsUrl,
} from '../../../src/serve/dashboard/model.js';
import { emptyStatus, T0 } from '../fake-deps.js';

const bar = (minute: number, close = 10, open = 10): BarSource => ({
  openTime: T0 + minute * 60_000,
  open,
  high: Math.max(open, close),
  low: Math.min(open, close),
  close,
  volume: minute,
});

describe('dashboard model', () => {
  it('converts candles to chart points in UTC seconds, coloring volume by direction', () => {
    assert.deepEqual(toChartBar(bar(1, 12)), {
      time: T0 / 1000 + 60,
      open: 10,
      high: 12,
      low: 10,
      close: 12,
    });
    assert.equal(toVolumeBar(bar(2, 12)).color, `${UP_COLOR}80`);
    assert.equal(toVolumeBar(bar(2, 8)).color, `${DOWN_COLOR}80`);
    assert.equal(toVolumeBar(bar(2, 8)).value, 2);
  });

  it('sorts, deduplicates and caps bars', () => {
    const bars = setBars([bar(3), bar(1), bar(2), bar(1, 99)], 2);
    assert.deepEqual(
      bars.map((b) => [b.openTime, b.close]),
      [
        [T0 + 120_000, 10],
        [T0 + 180_000, 10],
      ],
    );
    assert.equal(setBars([bar(1), bar(1, 99)])[0]?.close, 99, 'the later of two duplicates wins');
  });

  it('tells the view how to apply an update', () => {
    const bars = setBars([bar(1), bar(2), bar(3)]);
    assert.deepEqual(applyCandle(bars, bar(3, 11)), { kind: 'update', bar: bar(3, 11) });
    assert.deepEqual(applyCandle(bars, bar(4, 12)), { kind: 'update', bar: bar(4, 12) });
    assert.deepEqual(applyCandle(bars, bar(2, 13)), { kind: 'reset' }, 'a revised older bar redraws');
    assert.deepEqual(applyCandle(bars, bar(0, 14)), { kind: 'none' }, 'older than everything kept');
    assert.deepEqual(
      bars.map((b) => b.close),
      [10, 13, 11, 12],
    );
    const capped = setBars([bar(1), bar(2)]);
    applyCandle(capped, bar(3), 2);
    assert.deepEqual(
      capped.map((b) => b.openTime),
      [T0 + 120_000, T0 + 180_000],
    );
    const empty: BarSource[] = [];
    assert.equal(applyCandle(empty, bar(1)).kind, 'update');
    assert.equal(empty.length, 1);
  });

  it('picks a price precision that shows every price, 2 to 8 decimals', () => {
    assert.equal(pricePrecision([]), 2);
    assert.equal(pricePrecision([bar(1, 42_000.5)]), 2);
    assert.equal(pricePrecision([bar(1, 0.00141342)]), 8);
    assert.equal(pricePrecision([bar(1, 1.2345)]), 4);
    assert.equal(pricePrecision([bar(1, 1e-12)]), 2, 'below the house precision rounds to zero');
  });

  it('builds symbol choices, intervals, URLs and channel names', () => {
    const choices = symbolChoices([{ venue: 'binance', symbol: 'BTC-USDT', intervals: ['5m', '1h'] }]);
    assert.deepEqual(choices, [
      {
        value: 'binance:BTC-USDT',
        label: 'BTC-USDT · binance',
        venue: 'binance',
        symbol: 'BTC-USDT',
        intervals: ['5m', '1h'],
      },
    ]);
    assert.equal(pickInterval(['5m', '1h'], '1h'), '1h');
    assert.equal(pickInterval(['5m', '1m'], '4h'), '1m');
    assert.equal(pickInterval(['5m', '1h'], undefined), '5m');
    assert.equal(pickInterval([], undefined), '1m');
    assert.equal(
      candlesUrl('binance', 'BTC-USDT', '1m', 1000),
      '/api/v1/candles?venue=binance&symbol=BTC-USDT&interval=1m&limit=1000',
    );
    assert.equal(candleChannelName('binance', 'BTC-USDT', '1m'), 'candles:binance:BTC-USDT:1m');
    assert.equal(wsUrl('https:', 'example.com'), 'wss://example.com/ws');
    assert.equal(wsUrl('http:', 'localhost:8080'), 'ws://localhost:8080/ws');
    assert.deepEqual([0, 1, 2, 10].map(reconnectDelayMs), [500, 1_000, 2_000, 30_000]);
  });

  it('summarizes the pipeline status for the panel', () => {
    const view = statusView(emptyStatus(), T0 + 3_725_000);
    assert.deepEqual(view.figures, [
      ['trades/s', '13'],
      ['processed', '997'],
      ['lag (records)', '7'],
      ['late dropped', '1'],
      ['rejected', '3'],
      ['uptime', '1h 2m'],
    ]);
    assert.deepEqual(view.sources, [
      { name: 'binance-ws', state: 'running', ok: true, trades: '1,000', rejected: '3' },
    ]);
    assert.deepEqual(view.rejectedByReason, [
      ['invalid_price', '2'],
      ['bad_json', '1'],
    ]);
    assert.deepEqual([0, 59_999, 61_000, 90_000_000].map(formatDuration), ['0s', '59s', '1m 1s', '1d 1h']);
  });

  it('greys the bars of downtime gaps and says so in the note', () => {
    const gaps = [{ fromTs: T0 + 2 * 60_000 + 30_000, toTs: T0 + 4 * 60_000 }];
    const withClose = (minute: number): BarSource => ({
      ...bar(minute),
      closeTime: T0 + (minute + 1) * 60_000 - 1,
    });
    assert.deepEqual(
      [1, 2, 3, 4].map((i) => toChartBar(withClose(i), gaps).color),
      [undefined, GAP_COLOR, GAP_COLOR, undefined],
    );
    assert.equal(toVolumeBar(withClose(3), gaps).color, GAP_COLOR);
    assert.equal(toChartBar(withClose(3)).color, undefined);
    assert.equal(chartNote(5, []), '5 candles');
    assert.equal(chartNote(5, gaps), '5 candles · grey: pipeline not running (1 gap, 1m 30s)');
  });

  it('parses server frames and ignores unknown ones', () => {
    assert.deepEqual(parseServerMessage('{"type":"pong","ts":1}'), { type: 'pong', ts: 1 });
    assert.equal(parseServerMessage('{"type":"snapshot","channel":"status","status":{}}')?.type, 'snapshot');
    assert.equal(parseServerMessage('{"type":"weird"}'), undefined);
    assert.equal(parseServerMessage('nope'), undefined);
    assert.equal(parseServerMessage('null'), undefined);
  });

  it('builds the movers and trending panels, or a placeholder row', () => {
    const gainers = { movers: [{ symbol: 'SOL-USDT', changePct: 12.5, close: 0.00001234 }] };
    const losers = {
      movers: [
        { symbol: 'XRP-USDT', changePct: -3.254, close: 0.5 },
        // Less history than the period: the span of its change is shown.
        { symbol: 'NEW-USDT', changePct: -1, close: 2, partial: true, fromTs: T0, asOfTs: T0 + 7_500_000 },
      ],
    };
    assert.deepEqual(moverRows([gainers, losers]), [
      [
        { text: 'SOL-USDT', className: '' },
        { text: '+12.50%', className: 'ok num' },
        { text: '0.00001234', className: 'num' },
      ],
      [
        { text: 'XRP-USDT', className: '' },
        { text: '-3.25%', className: 'bad num' },
        { text: '0.50', className: 'num' },
      ],
      [
        { text: 'NEW-USDT', className: '' },
        { text: '-1.00% in 2h 5m', className: 'bad num' },
        { text: '2.00', className: 'num' },
      ],
    ]);
    const empty = [
      [
        { text: PLACEHOLDER, className: '' },
        { text: '', className: '' },
        { text: '', className: '' },
      ],
    ];
    const unavailable = { error: { code: 'BATCH_UNAVAILABLE', message: 'no lake' } };
    assert.deepEqual(moverRows([unavailable, undefined, { movers: [] }]), empty);
    assert.deepEqual(trendingRows({ trending: [{ rank: 1, symbol: 'PEPE-USDT', score: 0.75 }] }), [
      [
        { text: '1', className: '' },
        { text: 'PEPE-USDT', className: '' },
        { text: '0.750', className: 'num' },
      ],
    ]);
    assert.deepEqual(trendingRows({ hourTs: null, trending: [] }), empty);
    assert.deepEqual(trendingRows(unavailable), empty);
    assert.deepEqual([42_000.5, 1, 0.1, 1e-7, 123.456789].map(formatPrice), [
      '42000.50',
      '1.00',
      '0.10',
      '0.0000001',
      '123.456789',
    ]);
  });
});
