import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CryptoLambdaError } from '../../../src/domain/index.js';
import { buildServer, type ServeApp } from '../../../src/serve/index.js';
import {
  candle,
  createFakeBatch,
  createFakeDeps,
  type FakeBatch,
  type FakeDeps,
  series,
  T0,
} from '../fake-deps.js';
import { useBatchApps } from './batch-apps.js';

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

describe('GET /api/v1/candles', () => {
  let fake: FakeDeps;
  let app: ServeApp;
  before(async () => {
    fake = createFakeDeps([
      ...series(30),
      ...series(3, { interval: '5m' }, 300_000),
      ...series(2, { venue: 'bybit' }),
      ...series(2, { venue: 'kraken', symbol: 'ETH-EUR' }),
      ...series(2, { venue: 'coinbase', symbol: 'ETH-EUR' }),
    ]);
    app = buildServer(fake.deps, { processMetrics: false, dashboard: false });
    await app.ready();
  });
  after(() => app.close());

  const get = (query: string) => app.inject({ method: 'GET', url: `/api/v1/candles?${query}` });

  it('returns every candle field as JSON numbers, oldest first, with watermarks', async () => {
    const response = await get('venue=binance&symbol=BTC-USDT&interval=1m&limit=3');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /application\/json/);
    const body = response.json();
    assert.deepEqual(Object.keys(body), ['venue', 'symbol', 'interval', 'candles', 'watermarks', 'gaps']);
    assert.deepEqual(body.gaps, [], 'no uptime record, no gaps');
    assert.equal(body.venue, 'binance');
    assert.equal(body.symbol, 'BTC-USDT');
    assert.equal(body.interval, '1m');
    assert.deepEqual(body.watermarks, { speed: T0 + 5 * 60_000, batch: null });
    assert.equal(body.candles.length, 3);
    const expected = candle({ openTime: T0 + 27 * 60_000, closeTime: T0 + 28 * 60_000 - 1, close: 127 });
    const { venue: _v, symbol: _s, interval: _i, ...row } = expected;
    assert.deepEqual(body.candles[0], row);
    assert.deepEqual(
      body.candles.map((c: { openTime: number }) => c.openTime),
      [27, 28, 29].map((i) => T0 + i * 60_000),
    );
    // Numbers stay numbers in the text itself, not strings.
    assert.match(response.body, /"quoteVolume":525000\.75,"trades":321,/);
  });

  it('defaults limit to 500 and passes from/to through', async () => {
    fake.queries.length = 0;
    await get('symbol=BTC-USDT&interval=1m');
    assert.deepEqual(fake.queries.at(-1), {
      venue: 'binance',
      symbol: 'BTC-USDT',
      interval: '1m',
      limit: 500,
    });
    const response = await get(`symbol=BTC-USDT&interval=1m&from=${T0 + 60_000}&to=${T0 + 3 * 60_000}`);
    assert.equal(response.json().candles.length, 3);
    assert.equal(fake.queries.at(-1)?.from, T0 + 60_000);
  });

  it('accepts ISO-8601 times with a zone and UTC dates', async () => {
    const response = await get(
      'symbol=BTC-USDT&interval=1m&from=2024-01-02T00:01:00Z&to=2024-01-02T01:02:00%2B01:00',
    );
    assert.equal(response.statusCode, 200);
    assert.deepEqual(
      response.json().candles.map((c: { openTime: number }) => c.openTime),
      [T0 + 60_000, T0 + 120_000],
    );
    const byDate = await get('symbol=BTC-USDT&interval=1m&from=2024-01-02&limit=1');
    assert.equal(byDate.statusCode, 200);
    assert.equal(fake.queries.at(-1)?.from, T0);
  });

  it('resolves BTCUSDT, lower case, and the default venue', async () => {
    for (const symbol of ['BTCUSDT', 'btc-usdt', 'btcusdt']) {
      const body = (await get(`symbol=${symbol}&interval=5m`)).json();
      assert.equal(body.symbol, 'BTC-USDT', symbol);
      assert.equal(body.venue, 'binance', 'binance is preferred when several venues list the symbol');
      assert.equal(body.candles.length, 3);
    }
    const bybit = (await get('venue=bybit&symbol=BTC-USDT&interval=1m')).json();
    assert.equal(bybit.venue, 'bybit');
    assert.equal(bybit.candles.length, 2);
    assert.equal(bybit.watermarks.speed, null);
    const eth = (await get('symbol=ETH-EUR&interval=1m')).json();
    assert.equal(eth.venue, 'coinbase', 'without binance, the first venue alphabetically');
  });

  it('answers 200 with an empty list for a known series with nothing in range', async () => {
    const response = await get(`symbol=BTC-USDT&interval=1m&from=${T0 + 3_600_000}`);
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json().candles, []);
  });

  it('answers 404 naming the field for an unknown symbol or venue', async () => {
    const symbol = await get('symbol=DOGE-USDT&interval=1m');
    assert.equal(symbol.statusCode, 404);
    assert.equal((symbol.json() as ErrorBody).error.code, 'UNKNOWN_SYMBOL');
    assert.equal((symbol.json() as ErrorBody).error.field, 'symbol');
    const onVenue = await get('venue=kraken&symbol=BTC-USDT&interval=1m');
    assert.equal(onVenue.statusCode, 404);
    assert.equal((onVenue.json() as ErrorBody).error.field, 'symbol');
    const venue = await get('venue=nowhere&symbol=BTC-USDT&interval=1m');
    assert.equal(venue.statusCode, 404);
    assert.deepEqual((venue.json() as ErrorBody).error.code, 'UNKNOWN_VENUE');
    assert.deepEqual((venue.json() as ErrorBody).error.field, 'venue');
  });

  const badRequests: [string, string][] = [
    ['interval=1m', 'symbol'],
    ['symbol=BTC-USDT', 'interval'],
    ['symbol=BTC-USDT&interval=2m', 'interval'],
    ['symbol=BTC/USDT&interval=1m', 'symbol'],
    ['symbol=BTC-USDT-X&interval=1m', 'symbol'],
    ['venue=bin%20ance&symbol=BTC-USDT&interval=1m', 'venue'],
    ['symbol=BTC-USDT&interval=1m&limit=10001', 'limit'],
    ['symbol=BTC-USDT&interval=1m&limit=0', 'limit'],
    ['symbol=BTC-USDT&interval=1m&limit=-5', 'limit'],
    ['symbol=BTC-USDT&interval=1m&limit=1.5', 'limit'],
    ['symbol=BTC-USDT&interval=1m&limit=ten', 'limit'],
    ['symbol=BTC-USDT&interval=1m&limit=1&limit=2', 'limit'],
    ['symbol=BTC-USDT&interval=1m&from=yesterday', 'from'],
    ['symbol=BTC-USDT&interval=1m&from=-1', 'from'],
    ['symbol=BTC-USDT&interval=1m&from=2024-01-02T00:00:00', 'from'],
    ['symbol=BTC-USDT&interval=1m&to=2024-13-45T00:00:00Z', 'to'],
    ['symbol=BTC-USDT&interval=1m&to=99999999999999999999', 'to'],
    [`symbol=BTC-USDT&interval=1m&from=${T0 + 1}&to=${T0}`, 'from'],
    ['symbol=BTC-USDT&interval=1m&limt=5', 'limt'],
  ];
  for (const [query, field] of badRequests) {
    it(`answers 400 naming "${field}" for ?${query}`, async () => {
      const response = await get(query);
      assert.equal(response.statusCode, 400, response.body);
      const body = response.json() as ErrorBody;
      assert.equal(body.error.code, 'INVALID_PARAMETER');
      assert.equal(body.error.field, field);
      assert.ok(body.error.message.includes(field), body.error.message);
      assert.ok(!response.body.includes('    at '), 'no stack trace');
    });
  }
});

describe('GET /api/v1/candles merged at the batch watermark', () => {
  const MIN = 60_000;
  const WATERMARK = T0 + 60 * MIN;
  interface Row {
    openTime: number;
    close: number;
    source: string;
    state: string;
  }
  let fake: FakeDeps;
  let batch: FakeBatch;
  let app: ServeApp;
  before(async () => {
    // Speed holds minutes 50..69; batch minutes 0..60 with other prices (its minute 60 ends after the watermark).
    fake = createFakeDeps(series(70).slice(50));
    batch = createFakeBatch({
      watermarkTs: WATERMARK,
      candles: series(61, { source: 'batch' }).map((c) => ({ ...c, close: 1_000 + c.close, trades: 7 })),
    });
    fake.deps.batch = batch.reader;
    app = buildServer(fake.deps, { processMetrics: false, dashboard: false });
    await app.ready();
  });
  after(() => app.close());

  const get = async (query: string) => {
    const response = await app.inject(`/api/v1/candles?symbol=BTC-USDT&interval=1m&${query}`);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { candles: Row[]; watermarks: { speed: number | null; batch: number | null } };
  };
  const minutes = (rows: readonly Row[]) => rows.map((c) => (c.openTime - T0) / MIN);

  it('serves buckets before the watermark from batch and the rest from speed, each once', async () => {
    const body = await get('limit=500');
    assert.deepEqual(body.watermarks, { speed: T0 + 5 * MIN, batch: WATERMARK });
    assert.deepEqual(
      minutes(body.candles),
      Array.from({ length: 70 }, (_, i) => i),
    );
    for (const c of body.candles) {
      const minute = (c.openTime - T0) / MIN;
      assert.equal(c.source, minute < 60 ? 'batch' : 'speed', `minute ${minute}`);
      if (minute < 60) assert.equal(c.state, 'closed');
    }
    // Minutes 50..59 are in both views: the batch candle wins; 59|60 is the boundary.
    assert.equal(body.candles[55]?.close, 1_155);
    assert.equal(body.candles[59]?.close, 1_159);
    assert.equal(body.candles[60]?.close, 160);
  });

  it('applies limit to the merged list and asks the batch view for a bounded window', async () => {
    batch.candleQueries.length = 0;
    const body = await get('limit=15');
    assert.deepEqual(
      minutes(body.candles),
      Array.from({ length: 15 }, (_, i) => 55 + i),
    );
    assert.deepEqual(
      body.candles.map((c) => c.source),
      [...Array(5).fill('batch'), ...Array(10).fill('speed')],
    );
    assert.deepEqual(batch.candleQueries, [{ from: T0 + 55 * MIN, to: T0 + 59 * MIN }]);
    const newest = await get('limit=5');
    assert.deepEqual(minutes(newest.candles), [65, 66, 67, 68, 69]);
    assert.equal(batch.candleQueries.length, 1, 'no batch read when no batch bucket can be in the answer');
  });

  it('keeps from/to semantics across the watermark', async () => {
    const old = await get(`from=${T0 + 10 * MIN}&to=${T0 + 20 * MIN}`);
    assert.deepEqual(
      minutes(old.candles),
      Array.from({ length: 11 }, (_, i) => 10 + i),
    );
    assert.ok(old.candles.every((c) => c.source === 'batch'));
    const upTo = await get(`to=${T0 + 20 * MIN}&limit=3`);
    assert.deepEqual(minutes(upTo.candles), [18, 19, 20]);
    const across = await get(`from=${T0 + 58 * MIN}&to=${T0 + 61 * MIN}`);
    assert.deepEqual(
      across.candles.map((c) => c.source),
      ['batch', 'batch', 'speed', 'speed'],
    );
    const after = await get(`from=${WATERMARK}`);
    assert.deepEqual(
      minutes(after.candles),
      Array.from({ length: 10 }, (_, i) => 60 + i),
    );
  });

  it('answers like the speed view alone before the first batch run', async () => {
    batch.watermarkTs = undefined;
    try {
      const body = await get('limit=500');
      assert.equal(body.watermarks.batch, null);
      assert.deepEqual(
        minutes(body.candles),
        Array.from({ length: 20 }, (_, i) => 50 + i),
      );
      assert.ok(body.candles.every((c) => c.source === 'speed'));
    } finally {
      batch.watermarkTs = WATERMARK;
    }
  });

  it('answers 503 UNAVAILABLE when the batch view fails with a retryable error', async () => {
    const read = batch.reader.candles;
    batch.reader.candles = async () => {
      throw new CryptoLambdaError('BATCH_READ_FAILED', 'duckdb busy', { retryable: true });
    };
    try {
      const response = await app.inject('/api/v1/candles?symbol=BTC-USDT&interval=1m');
      assert.equal(response.statusCode, 503);
      assert.equal((response.json() as ErrorBody).error.code, 'UNAVAILABLE');
    } finally {
      batch.reader.candles = read;
    }
  });
});

describe('a series only the batch views hold (history the log no longer has)', () => {
  const MIN = 60_000;
  const batch = createFakeBatch({
    watermarkTs: T0 + 60 * MIN,
    // Up to the watermark, as the candles job writes them (empty buckets carry the close).
    candles: series(60, { source: 'batch', symbol: 'ETH-USDT', state: 'closed' }),
  });
  const apps = useBatchApps(batch.reader);

  it('is listed by /symbols, with its first minute but no newest trade time, and /candles serves it from batch', async () => {
    const symbols = (await apps.app.inject('/api/v1/symbols')).json() as {
      symbols: {
        symbol: string;
        intervals: string[];
        firstTradeTs: number | null;
        lastPrice: number | null;
      }[];
    };
    const eth = symbols.symbols.find((s) => s.symbol === 'ETH-USDT');
    assert.deepEqual(eth && { ...eth }, {
      venue: 'binance',
      symbol: 'ETH-USDT',
      intervals: ['1m'],
      firstTradeTs: T0,
      lastTradeTs: null,
      lastPrice: 159,
    });
    const response = await apps.app.inject('/api/v1/candles?symbol=ethusdt&interval=1m&limit=5');
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json() as { symbol: string; candles: { openTime: number; source: string }[] };
    assert.equal(body.symbol, 'ETH-USDT');
    assert.deepEqual(
      body.candles.map((c) => [(c.openTime - T0) / MIN, c.source]),
      [55, 56, 57, 58, 59].map((m) => [m, 'batch']),
    );
  });

  it('is unknown without the batch layer, and a symbol neither view holds is 404', async () => {
    const bare = await apps.bare.inject('/api/v1/candles?symbol=ETH-USDT&interval=1m');
    assert.equal(bare.statusCode, 404);
    const unknown = await apps.app.inject('/api/v1/candles?symbol=DOGE-USDT&interval=1m');
    assert.equal(unknown.statusCode, 404);
    assert.equal((unknown.json() as ErrorBody).error.code, 'UNKNOWN_SYMBOL');
  });
});

describe('a candles request costs the same whatever the number of symbols', () => {
  it('finds its series by key: it never lists every series nor reads the whole status', async () => {
    const fake = createFakeDeps([...series(5), ...series(5, { venue: 'bybit', symbol: 'ETH-USDT' })]);
    const batch = createFakeBatch({
      watermarkTs: T0 + 2 * 60_000,
      candles: series(2, { source: 'batch', venue: 'bybit', symbol: 'ETH-USDT' }),
    });
    const listed: string[] = [];
    const deps = {
      ...fake.deps,
      candles: {
        ...fake.deps.candles,
        symbols() {
          listed.push('speed symbols()');
          return fake.deps.candles.symbols();
        },
      },
      batch: {
        ...batch.reader,
        async symbols() {
          listed.push('batch symbols()');
          return batch.reader.symbols();
        },
      },
      status() {
        listed.push('status()');
        return fake.deps.status();
      },
    };
    const app = buildServer(deps, { processMetrics: false, dashboard: false });
    try {
      for (const query of ['symbol=BTCUSDT', 'symbol=eth-usdt&venue=bybit', 'symbol=ETH-USDT&limit=3']) {
        const response = await app.inject(`/api/v1/candles?${query}&interval=1m`);
        assert.equal(response.statusCode, 200, response.body);
      }
      const unknown = await app.inject('/api/v1/candles?symbol=BTC-USDT&venue=kraken&interval=1m');
      assert.equal((unknown.json() as ErrorBody).error.code, 'UNKNOWN_VENUE');
      assert.deepEqual(listed, []);
    } finally {
      await app.close();
    }
  });
});

describe('numbers in candle responses', () => {
  it('are rounded to 8 decimals, never in exponent notation (ARCHITECTURE.md §3)', async () => {
    const noisy = candle({ takerBuyVolume: 205.29999999999998, low: 0.00000012000000001, volume: 0.1 + 0.2 });
    const fake = createFakeDeps([noisy]);
    const app = buildServer(fake.deps, { processMetrics: false, dashboard: false });
    try {
      const response = await app.inject('/api/v1/candles?symbol=BTC-USDT&interval=1m');
      assert.equal(response.statusCode, 200);
      assert.match(response.body, /"low":0\.00000012,/);
      assert.match(response.body, /"volume":0\.3,/);
      assert.match(response.body, /"takerBuyVolume":205\.3,/);
      assert.doesNotMatch(response.body, /\de-\d|99999999/);
      const symbols = await app.inject('/api/v1/symbols');
      assert.doesNotMatch(symbols.body, /\de-\d/);
    } finally {
      await app.close();
    }
  });
});
