import { parseArgs } from 'node:util';
import { generateFrames } from './frames.js';
import { wsLatency } from './latency.js';
import { jsonParseRate, pipelineRate, writeFramesFile } from './throughput.js';

/**
 * `npm run bench [-- --quick] [-- --soak <minutes>]`: each figure beside its reference or budget,
 * measured in the same run (the machines are shared and noisy; ratios hold where absolute rates
 * drift). With --quick the last line is a JSON object of the throughput figures.
 */
const { values } = parseArgs({
  options: { quick: { type: 'boolean' }, soak: { type: 'string' }, only: { type: 'string' } },
});
const quick = values.quick === true;
const only = values.only;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
let summary: { tradesPerSec: number; jsonParsePerSec: number; ratio: number } | undefined;

if (only === undefined || only === 'throughput') {
  const count = quick ? 200_000 : 1_000_000;
  const rounds = quick ? 2 : 3;
  console.log(`# throughput: frames file → validated trades → log → candles (6 intervals)`);
  console.log(`generating ${fmt(count)} Binance aggTrade frames (8 simulated markets)…`);
  const frames = await generateFrames(count);
  const file = await writeFramesFile(frames);
  // Alternate the reference and both paths so all see the same machine; keep each one's best round.
  let bestParse = 0;
  let bestWorker = 0;
  let bestThread = 0;
  try {
    for (let round = 1; round <= rounds; round++) {
      const parse = jsonParseRate(frames);
      const worker = await pipelineRate(file.path, 'worker');
      const thread = await pipelineRate(file.path, 'thread');
      bestParse = Math.max(bestParse, parse);
      bestWorker = Math.max(bestWorker, worker.tradesPerSec);
      bestThread = Math.max(bestThread, thread.tradesPerSec);
      console.log(
        `round ${round}: JSON.parse ${fmt(parse)} frames/s; pipeline ${fmt(worker.tradesPerSec)} trades/s ` +
          `(${fmt(worker.trades)} trades, ${fmt(worker.candles)} closed candles; worker start-up ${fmt(worker.startupMs)} ms apart), ` +
          `ratio ${(worker.tradesPerSec / parse).toFixed(2)}; ` +
          `single-thread ${fmt(thread.tradesPerSec)} trades/s, ratio ${(thread.tradesPerSec / parse).toFixed(2)}`,
      );
    }
  } finally {
    await file.cleanup();
  }
  const ratio = bestWorker / bestParse;
  console.log(
    `single-thread (--no-worker): ${fmt(bestThread)} trades/s: ratio ${(bestThread / bestParse).toFixed(2)}`,
  );
  console.log(
    `throughput: ${fmt(bestWorker)} trades/s (source in a worker thread) vs bare JSON.parse ` +
      `${fmt(bestParse)} frames/s: ratio ${ratio.toFixed(2)} (budget ≥ 0.50)\n`,
  );
  summary = {
    tradesPerSec: Math.round(bestWorker),
    jsonParsePerSec: Math.round(bestParse),
    ratio: Number(ratio.toFixed(3)),
  };
}

if (only === undefined || only === 'latency') {
  const minutes = values.soak === undefined ? undefined : Number(values.soak);
  const durationMs = minutes !== undefined ? minutes * 60_000 : quick ? 10_000 : 30_000;
  console.log(
    `# latency: trade entering → candle update on a WebSocket client, 50,000 trades/s for ${durationMs / 1000} s`,
  );
  const run = await wsLatency(50_000, durationMs, Math.min(60_000, durationMs / 3));
  console.log(
    `sustained ${fmt(run.tradesPerSec)} trades/s; ${fmt(run.updates)} marker updates: ` +
      `p50 ${run.p50Ms.toFixed(1)} ms, p99 ${run.p99Ms.toFixed(1)} ms (budget < 20 ms), max ${run.maxMs.toFixed(1)} ms`,
  );
  console.log(
    `memory: RSS ${run.rssWarmMiB} MiB after warm-up → ${run.rssEndMiB} MiB at the end (peak ${run.rssPeakMiB} MiB); ` +
      `heap ${run.heapWarmMiB} → ${run.heapEndMiB} MiB`,
  );
  console.log(
    `memory over time (s: RSS/heap used/heap committed/external MiB): ${run.timeline.map((t) => `${t.atS}: ${t.rssMiB}/${t.heapMiB}/${t.heapTotalMiB}/${t.externalMiB}`).join(', ')}\n`,
  );
}

console.log(`peak RSS of the benchmark process: ${fmt(process.resourceUsage().maxRSS / 1024)} MiB`);
if (quick && summary !== undefined) console.log(JSON.stringify(summary));
