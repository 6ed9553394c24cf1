import { generateFrames } from './frames.js';
import { jsonParseRate, pipelineRate } from './throughput.js';

/**
 * `npm run bench [-- --quick]`: each figure beside its reference measured in the same run
 * (the machines are shared and noisy; ratios hold where absolute rates drift).
 */
const quick = process.argv.includes('--quick');
const count = quick ? 200_000 : 1_000_000;
const rounds = quick ? 2 : 3;

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(`generating ${fmt(count)} Binance aggTrade frames (8 simulated markets)…`);
const frames = await generateFrames(count);

// Alternate reference and pipeline so both see the same machine; keep each one's best round.
let bestParse = 0;
let bestPipeline = 0;
for (let round = 1; round <= rounds; round++) {
  const parse = jsonParseRate(frames);
  const run = await pipelineRate(frames);
  bestParse = Math.max(bestParse, parse);
  bestPipeline = Math.max(bestPipeline, run.tradesPerSec);
  console.log(
    `round ${round}: JSON.parse ${fmt(parse)} frames/s; frames → trades → log → candles ${fmt(run.tradesPerSec)} trades/s ` +
      `(${fmt(run.trades)} trades, ${fmt(run.candles)} closed candles), ratio ${(run.tradesPerSec / parse).toFixed(2)}`,
  );
}
const ratio = bestPipeline / bestParse;
console.log(
  `\nthroughput: ${fmt(bestPipeline)} trades/s vs bare JSON.parse ${fmt(bestParse)} frames/s: ratio ${ratio.toFixed(2)} (budget ≥ 0.50)`,
);
console.log(`peak RSS: ${fmt(process.resourceUsage().maxRSS / 1024)} MiB`);
if (quick) {
  console.log(
    JSON.stringify({
      tradesPerSec: Math.round(bestPipeline),
      jsonParsePerSec: Math.round(bestParse),
      ratio: Number(ratio.toFixed(3)),
    }),
  );
}
