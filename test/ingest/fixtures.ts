import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Source, SourceBatch, SourceRunOptions } from '../../src/ingest/index.js';

/** Compiled to `dist/test/ingest/`; the fixtures stay in the source tree. */
const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/binance/', import.meta.url));

export const AGG_TRADES_CSV_GZ = `${FIXTURES}xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`;
export const WS_JSONL = `${FIXTURES}ws-cryptofeed/binance-spot_aggTrade+kline_1m_2021-04-17T1636Z.jsonl`;
export const WS_CAPTURE_GZ = `${FIXTURES}ws-cryptofeed/raw/BINANCE.ws.1.0_2021-04-17.gz`;
/** Real USD-M futures aggTrade frames (fstream.binance.com), cryptofeed capture lines. */
export const USDM_CAPTURE = `${FIXTURES}ws-cryptofeed/binance-usdm_aggTrade_2021-07-22T2225Z.capture`;
/** Real COIN-M futures aggTrade frames (dstream.binance.com), perpetuals and dated contracts. */
export const COINM_CAPTURE = `${FIXTURES}ws-cryptofeed/binance-coinm_aggTrade_2021-07-22T0113Z.capture`;

/** The lines of a fixture, gunzipped when needed, without the trailing empty line. */
export function fixtureLines(path: string): string[] {
  const bytes = readFileSync(path);
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Every batch a source delivers until it ends. */
export async function collect(
  source: Source,
  options: Partial<SourceRunOptions> = {},
): Promise<SourceBatch[]> {
  const batches: SourceBatch[] = [];
  const signal = options.signal ?? new AbortController().signal;
  for await (const batch of source.batches({ ...options, signal })) batches.push(batch);
  return batches;
}
