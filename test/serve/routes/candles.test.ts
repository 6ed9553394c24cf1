import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildServer, type ServeApp } from '../../../src/serve/index.js';
import { candle, createFakeDeps, type FakeDeps, series, T0 } from '../fake-deps.js';

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
    assert.deepEqual(Object.keys(body), ['venue', 'symbol', 'interval', 'candles', 'watermarks']);
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
