import { basename } from 'node:path';
import { batchCandles } from '../../batch/index.js';
import {
  CryptoLambdaError,
  INTERVAL_MS,
  INTERVALS,
  type Interval,
  isInterval,
  type Trade,
} from '../../domain/index.js';
import {
  canonicalSymbolOf,
  createDedupeWindow,
  inspectReplay,
  openReplay,
  type Source,
  type VenueDef,
} from '../../ingest/index.js';
import { TOPICS } from '../../log/index.js';
import { finalCandles } from '../../speed/index.js';
import { CLI_ERRORS, parseCommandArgs, parseTimeOption, requireOption } from '../args.js';
import { KLINE_CSV_HEADER, klineCsvRow } from '../kline-csv.js';
import type { Output } from '../output.js';
import { judgeRejects, type RejectTally, tallyRejects } from '../rejects.js';
import { checkFormat, formatOptionHelp } from '../source-option.js';

export const CANDLES_HELP = `Usage: crypto-lambda candles --input <file> --interval <i> [options]

Reads a file of trades and writes its final candles to stdout as CSV with Binance's kline
columns (${KLINE_CSV_HEADER}).
Empty buckets are candles, as Binance emits them: from the first trade's bucket up to --to.

Options:
  --input <file>     Binance aggTrades/trades CSV dump (plain or .gz, ms or µs times) or
                     recorded WebSocket frames, one per line; the format is detected
${formatOptionHelp(21)}
  --interval <i>     ${INTERVALS.join(', ')}
  --symbol <s>       BTCUSDT or BTC-USDT: the symbol of a CSV dump whose file name does not say,
                     or the one symbol to take from a file of frames holding several
  --from <t>         first bucket to print (ms since the epoch or an ISO date/time, UTC)
  --to <t>           last bucket to print: buckets opening at or before it. Default: the end
                     of the UTC day (or month) of a data.binance.vision dump
                     (BTCUSDT-aggTrades-2025-01-01.csv), otherwise the last trade's bucket
  --engine <e>       speed (default: the streaming candle operator) or batch (SQL on embedded
                     DuckDB); both give the same candles
  --no-header        leave out the header row
  -h, --help         this help

Rejected records: a line that is not a valid trade (bad CSV, bad JSON, a price of 0, …) is
counted by reason and its first few are shown on stderr with their line numbers. Exit status:
0 when trades came out of the file, even if some records were rejected; 1 when every record
was rejected (CLI_ALL_REJECTED) or on any other error; 2 for a usage error.

Example:
  crypto-lambda candles --input XRPETH-aggTrades-2019-10-11.csv.gz --interval 1m > klines.csv`;

export async function candlesCommand(args: string[], out: Output): Promise<number> {
  const { values } = parseCommandArgs('candles', args, {
    input: { type: 'string' },
    interval: { type: 'string' },
    symbol: { type: 'string' },
    format: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    'no-header': { type: 'boolean' },
    engine: { type: 'string' },
  });
  if (values.help) {
    out.stdout(`${CANDLES_HELP}\n`);
    return 0;
  }
  const input = requireOption('candles', 'input', values.input);
  const intervalText = requireOption('candles', 'interval', values.interval);
  if (!isInterval(intervalText)) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `--interval ${JSON.stringify(intervalText)} is not one of ${INTERVALS.join(', ')}`,
    );
  }
  const interval: Interval = intervalText;
  const fromTs = parseTimeOption('from', values.from);
  const toOption = parseTimeOption('to', values.to);
  const replayOptions = {
    ...(values.symbol === undefined ? {} : { symbol: values.symbol }),
    ...(values.format === undefined ? {} : { format: checkFormat(values.format) }),
  };
  const info = await inspectReplay(input, replayOptions);
  const symbolFilter = values.symbol === undefined ? undefined : canonical(values.symbol, info.venue);
  const intervalMs = INTERVAL_MS[interval];
  const toTs =
    toOption !== undefined ? Math.floor(toOption / intervalMs) * intervalMs + intervalMs : info.periodEndTs;

  const engine = values.engine ?? 'speed';
  if (engine !== 'speed' && engine !== 'batch') {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `--engine ${JSON.stringify(engine)} is not speed or batch`,
    );
  }
  const tally = tallyRejects();
  const feed = tradeFeed(input, openReplay(input, replayOptions), symbolFilter, tally);
  const range = toTs === undefined ? { interval } : { interval, toTs };
  const stream =
    engine === 'speed' ? finalCandles(feed.trades(), range) : await batchCandles(feed.trades(), range);
  const rows: string[] = values['no-header'] ? [] : [KLINE_CSV_HEADER];
  let written = 0;
  for await (const candle of stream) {
    if (fromTs !== undefined && candle.openTime < fromTs) continue;
    rows.push(klineCsvRow(candle));
    written++;
    if (rows.length >= 1000) await out.stdoutAsync(`${rows.splice(0).join('\n')}\n`);
  }
  if (rows.length > 0) await out.stdoutAsync(`${rows.join('\n')}\n`);

  const { duplicates, kept } = feed.counts();
  out.stderr(
    `${written} ${interval} candles from ${kept} trades of ${info.format.id} file ${basename(input)}` +
      (tally.rejected > 0 ? `; ${tally.rejected} records rejected (${tally.reasons()})` : '') +
      (duplicates > 0 ? `; ${duplicates} duplicate trades dropped` : '') +
      '\n',
  );
  const judged = judgeRejects(input, tally, 'each is listed with its line above');
  for (const line of judged.lines) out.stderr(`${line}\n`);
  if (judged.error !== undefined) throw judged.error;
  return 0;
}

/**
 * The trades of a replay as the candle builders take them: of the one symbol asked for (or the
 * file's only one), each trade once (frames recorded across a reconnect repeat some, and the log
 * would keep one), every batch counted into `tally`.
 */
function tradeFeed(input: string, source: Source, symbolFilter: string | undefined, tally: RejectTally) {
  const symbols = new Set<string>();
  const dedupe = createDedupeWindow();
  let duplicates = 0;
  let kept = 0;
  async function* trades(): AsyncIterable<Trade[]> {
    for await (const batch of source.batches({ signal: new AbortController().signal })) {
      tally.add(batch);
      const fresh: Trade[] = [];
      for (const t of batch.trades) {
        if (symbolFilter !== undefined && t.symbol !== symbolFilter) continue;
        if (dedupe.seen(TOPICS.trades.key(t), t.tradeId)) duplicates++;
        else fresh.push(t);
      }
      for (const t of fresh) symbols.add(t.symbol);
      if (symbolFilter === undefined && symbols.size > 1) {
        throw new CryptoLambdaError(
          CLI_ERRORS.usage,
          `${input} holds trades of several symbols (${[...symbols].join(', ')}); pass --symbol to pick one`,
        );
      }
      kept += fresh.length;
      yield fresh;
    }
  }
  return { trades, counts: () => ({ duplicates, kept }) };
}

function canonical(symbol: string, venue: VenueDef): string {
  const mapped = canonicalSymbolOf(symbol, venue);
  if (mapped === undefined) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `--symbol ${JSON.stringify(symbol)} is not a known symbol; write it as BASE-QUOTE, e.g. BTC-USDT`,
    );
  }
  return mapped;
}
