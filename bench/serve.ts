import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Trade } from '../src/domain/index.js';
import { buildServer, type ServeDeps } from '../src/serve/index.js';
import { createCandleOperator, createSpeedView } from '../src/speed/index.js';

const MINUTE_MS = 60_000;
/** The candles each request asks for: the newest 60 1m candles of one series. */
const LIMIT = 60;
/**
 * How many of the series the requests go round, the same at every size: so that what differs
 * is the number of series held, not how much of memory the answers come from.
 */
const ASKED = 10;
/** Minutes of trades per series: one trade a minute, so every series holds `LIMIT` + 1 1m candles. */
const MINUTES = LIMIT + 1;

/** The figures of one `candlesRequestRate` run. */
export interface CandlesRequestRate {
  symbols: number;
  requests: number;
  requestsPerSec: number;
  /** Candles in each answer (every request gets the same 60). */
  candlesPerAnswer: number;
}

/** A server over `symbols` series, and a way to time bursts of candles requests against it. */
interface CandlesBench {
  /** Sends `count` requests one after the other; returns the milliseconds they took. */
  burst(count: number): Promise<number>;
  candlesPerAnswer: number;
  close(): Promise<void>;
}

/**
 * A server built by `buildServer` over a real speed view (fed by the real candle operator)
 * holding `symbols` series of 61 1m candles; each request asks for the newest 60 1m candles of
 * one of them (round 10 of the series), over real HTTP on one keep-alive connection. Not with
 * `fastify.inject`: its requests leave about 10 KB each on the heap until the server closes
 * (measured with light-my-request 6.8 on Node 20, a bare fastify app too), and the growing heap's
 * garbage collections then dominate what is measured.
 */
async function openCandlesBench(symbols: number): Promise<CandlesBench> {
  const operator = createCandleOperator({ intervals: ['1m'] });
  const view = createSpeedView({}, operator);
  const startTs = Date.UTC(2024, 0, 2);
  const names = Array.from({ length: symbols }, (_, i) => `S${i}-USDT`);
  let id = 1;
  for (let m = 0; m < MINUTES; m++) {
    for (const symbol of names) {
      const ts = startTs + m * MINUTE_MS + 1_000;
      const trade: Trade = {
        venue: 'binance',
        symbol,
        tradeId: String(id++),
        ts,
        price: 100 + m,
        qty: 1,
        side: 'buy',
        count: 1,
        recvTs: ts,
      };
      operator.process(trade, view.upsert);
    }
  }
  const deps: ServeDeps = {
    candles: view,
    live: { subscribeCandles: () => () => undefined },
    rejected: { recent: () => [], counts: () => ({ total: 0, byReason: {} }) },
    status: () => ({
      sources: [],
      speed: {
        lag: 0,
        tradesProcessed: id - 1,
        lateDropped: 0,
        revised: 0,
        watermarks: operator.watermarks(),
      },
      rejected: { total: 0, byReason: {} },
      throughput: { tradesPerSec: 0 },
      startedAt: startTs,
    }),
  };
  const app = buildServer(deps, { processMetrics: false, dashboard: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const asked = names.slice(0, ASKED);
  let sent = 0;
  const request = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const path = `/api/v1/candles?symbol=${asked[sent++ % asked.length]}&interval=1m&limit=${LIMIT}`;
      http
        .get({ host: '127.0.0.1', port, path, agent }, (response) => {
          let body = '';
          response.setEncoding('utf8').on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () =>
            response.statusCode === 200
              ? resolve(body)
              : reject(new Error(`candles answered ${response.statusCode}: ${body}`)),
          );
        })
        .on('error', reject);
    });
  let candlesPerAnswer = 0;
  for (let i = 0; i < 500; i++)
    candlesPerAnswer = (JSON.parse(await request()) as { candles: unknown[] }).candles.length;
  return {
    candlesPerAnswer,
    async burst(count) {
      const start = performance.now();
      for (let i = 0; i < count; i++) await request();
      return performance.now() - start;
    },
    async close() {
      agent.destroy();
      await app.close();
    },
  };
}

/**
 * `GET /api/v1/candles` requests per second with `symbols` series held (see `openCandlesBench`),
 * sent one after the other for `durationMs`: the server's cost per request, which should not
 * depend on `symbols` (ARCHITECTURE.md §8: within 10% of the 10-symbol rate at 10,000).
 */
export async function candlesRequestRate(symbols: number, durationMs = 2_000): Promise<CandlesRequestRate> {
  const bench = await openCandlesBench(symbols);
  try {
    let requests = 0;
    let ms = 0;
    while (ms < durationMs) {
      ms += await bench.burst(100);
      requests += 100;
    }
    return {
      symbols,
      requests,
      requestsPerSec: (requests * 1000) / ms,
      candlesPerAnswer: bench.candlesPerAnswer,
    };
  } finally {
    await bench.close();
  }
}

/**
 * The rates at each number of symbols measured side by side: one server per size, bursts of 100
 * requests taken in turn for `durationMs` in all, so that every size sees the same machine (a
 * shared machine's load drifts more between two runs than the cost being compared).
 */
export async function compareCandlesRequestRates(
  sizes: readonly number[],
  durationMs = 6_000,
): Promise<CandlesRequestRate[]> {
  const benches: CandlesBench[] = [];
  try {
    for (const size of sizes) benches.push(await openCandlesBench(size));
    const ms = sizes.map(() => 0);
    let bursts = 0;
    const deadline = performance.now() + durationMs;
    while (performance.now() < deadline) {
      for (const [i, bench] of benches.entries()) ms[i] = (ms[i] ?? 0) + (await bench.burst(100));
      bursts++;
    }
    return sizes.map((symbols, i) => ({
      symbols,
      requests: bursts * 100,
      requestsPerSec: (bursts * 100 * 1000) / (ms[i] ?? 1),
      candlesPerAnswer: (benches[i] as CandlesBench).candlesPerAnswer,
    }));
  } finally {
    for (const bench of benches) await bench.close();
  }
}
