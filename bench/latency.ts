import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { openPipeline } from '../src/cli/pipeline.js';
import type { Trade } from '../src/domain/index.js';
import { parseBinanceFrame, type Source, type SourceBatch, toAggTradeFrame } from '../src/ingest/index.js';
import { buildServer } from '../src/serve/index.js';

const MARKER = 'LAT-USDT';
const SYMBOLS = [
  'BTC-USDT',
  'ETH-USDT',
  'SOL-USDT',
  'XRP-USDT',
  'BNB-USDT',
  'DOGE-USDT',
  'ADA-USDT',
  'AVAX-USDT',
];
const TICK_MS = 10;

const nowMs = (): number => performance.timeOrigin + performance.now();
const mib = (bytes: number): number => Math.round(bytes / 1048576);

/**
 * Live Binance frames at `tradesPerSec`, stamped with the wall clock and parsed by the same
 * `parseBinanceFrame` a live connector uses. One trade of the marker symbol per tick; its
 * entry time (when its frame reaches the parser) is recorded under (bucket, trade count).
 */
function loadSource(tradesPerSec: number, durationMs: number, entries: Map<string, number>): Source {
  let state: ReturnType<Source['state']> = 'idle';
  const prices = new Map(SYMBOLS.map((s, i) => [s, 100 * (i + 1)]));
  let id = 1;
  let markerBucket = 0;
  let markerCount = 0;
  const trade = (symbol: string, ts: number, price: number): Trade => ({
    venue: 'binance',
    symbol,
    tradeId: String(id++),
    ts,
    price,
    qty: 1,
    side: id % 2 === 0 ? 'buy' : 'sell',
    count: 1,
    recvTs: ts,
  });
  return {
    name: 'bench-load',
    state: () => state,
    async *batches(options) {
      state = 'running';
      const start = nowMs();
      let sent = 0;
      while (!options.signal.aborted && nowMs() - start < durationMs) {
        // At most a fifth of a second's trades per batch: a pipeline that falls behind shows as
        // a lower sustained rate, never as a generator holding an ever larger backlog.
        const due = Math.min(Math.floor(((nowMs() - start) / 1000) * tradesPerSec), sent + tradesPerSec / 5);
        const frames: string[] = [];
        const ts = Math.floor(nowMs());
        for (; sent < due; sent++) {
          const symbol = SYMBOLS[sent % SYMBOLS.length]!;
          const price = prices.get(symbol)! * (1 + (Math.random() - 0.5) * 1e-4);
          prices.set(symbol, price);
          frames.push(toAggTradeFrame(trade(symbol, ts, Number(price.toFixed(2)))));
        }
        const bucket = Math.floor(ts / 60_000) * 60_000;
        if (bucket !== markerBucket) {
          markerBucket = bucket;
          markerCount = 0;
        }
        frames.push(toAggTradeFrame(trade(MARKER, ts, 1)));
        markerCount++;
        const batch: SourceBatch = { trades: [], rejected: [], ignored: 0, position: String(sent) };
        entries.set(`${bucket}:${markerCount}`, nowMs());
        for (const frame of frames) {
          const result = parseBinanceFrame(frame, ts, 'bench');
          if (result.kind === 'trade') batch.trades.push(result.trade);
        }
        yield batch;
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
      state = 'finished';
    },
  };
}

export interface LatencyRun {
  tradesPerSec: number;
  updates: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  rssWarmMiB: number;
  rssEndMiB: number;
  rssPeakMiB: number;
  heapWarmMiB: number;
  heapEndMiB: number;
  /** One memory reading per `timelineEveryMs`: where it levels off shows it is bounded. */
  timeline: { atS: number; rssMiB: number; heapMiB: number; heapTotalMiB: number; externalMiB: number }[];
}

/**
 * The whole process of `crypto-lambda start` (pipeline + server) under `tradesPerSec` of live
 * frames; a WebSocket client subscribed to the marker's 1m candles measures, per update, the time
 * from the marker trade entering the parser to its candle arriving. Memory is sampled each
 * second; "warm" is the reading after `warmupMs`.
 */
export async function wsLatency(
  tradesPerSec: number,
  durationMs: number,
  warmupMs: number,
): Promise<LatencyRun> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-bench-ws-'));
  const pipeline = await openPipeline({ dataDir: dir, live: true });
  const app = buildServer(pipeline.deps, { processMetrics: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const entries = new Map<string, number>();
  const latencies: number[] = [];
  const start = nowMs();
  let rssPeak = 0;
  let rssWarm = 0;
  let heapWarm = 0;
  const timeline: LatencyRun['timeline'] = [];
  const timelineEveryMs = Math.max(10_000, durationMs / 10);
  let nextTimelineMs = 0;
  const sampler = setInterval(() => {
    const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
    rssPeak = Math.max(rssPeak, rss);
    const atMs = nowMs() - start;
    if (atMs >= nextTimelineMs) {
      timeline.push({
        atS: Math.round(atMs / 1000),
        rssMiB: mib(rss),
        heapMiB: mib(heapUsed),
        heapTotalMiB: mib(heapTotal),
        externalMiB: mib(external),
      });
      nextTimelineMs += timelineEveryMs;
    }
    if (rssWarm === 0 && nowMs() - start >= warmupMs) {
      rssWarm = rss;
      heapWarm = heapUsed;
    }
  }, 1000);
  const running = pipeline.runSource(loadSource(tradesPerSec, durationMs, entries));
  // The server knows a symbol from its first trade on; subscribe once the marker has one.
  while (!pipeline.view.symbols().some((s) => s.symbol === MARKER)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const ws = new WebSocket(`${address.replace('http', 'ws')}/ws`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(JSON.stringify({ op: 'subscribe', channel: `candles:binance:${MARKER}:1m` }));
  ws.on('message', (data) => {
    const received = nowMs();
    const message = JSON.parse(String(data)) as {
      type: string;
      candle?: { openTime: number; trades: number };
    };
    if (message.type !== 'update' || message.candle === undefined) return;
    // The first update that shows a marker trade counts, once: the candle's `closed` update
    // repeats the last trade's count a second later (after the watermark passes the bucket's
    // end), and counted again it made a run's maximum about 1 s whenever a minute ended in it.
    const key = `${message.candle.openTime}:${message.candle.trades}`;
    const entered = entries.get(key);
    entries.delete(key);
    if (entered !== undefined && entered - start >= warmupMs) latencies.push(received - entered);
  });
  await running;
  await new Promise((resolve) => setTimeout(resolve, 500));
  clearInterval(sampler);
  const { rss, heapUsed } = process.memoryUsage();
  const processed = pipeline.runner.tradesProcessed();
  ws.close();
  await app.close();
  await pipeline.close();
  await rm(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? Number.NaN;
  return {
    tradesPerSec: processed / (durationMs / 1000),
    updates: latencies.length,
    p50Ms: pct(0.5),
    p99Ms: pct(0.99),
    maxMs: latencies[latencies.length - 1] ?? Number.NaN,
    rssWarmMiB: mib(rssWarm),
    rssEndMiB: mib(rss),
    rssPeakMiB: mib(Math.max(rssPeak, rss)),
    heapWarmMiB: mib(heapWarm),
    heapEndMiB: mib(heapUsed),
    timeline,
  };
}
