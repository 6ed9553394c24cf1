import { recordedRecvTs } from '../recorded.js';
import type { FileFormat, VenueDef } from '../venue.js';
import { BINANCE_CSV_LAYOUTS, type BinanceCsvLayout, csvRowParser, isCsvHeader } from './csv.js';
import { csvFastRow } from './csv-fast.js';
import { BINANCE_COINM_VENUE, BINANCE_USDM_VENUE, BINANCE_VENUE } from './fields.js';
import { binanceFileName, isBinanceDump, isBinanceFrames } from './files.js';
import { binanceToCanonical } from './symbols.js';
import { parseBinanceFrame } from './ws.js';

const MARKET_TITLES: Readonly<Record<string, string>> = {
  [BINANCE_VENUE]: 'Binance spot',
  [BINANCE_USDM_VENUE]: 'Binance USD-M futures',
  [BINANCE_COINM_VENUE]: 'Binance COIN-M futures',
};

function dumpFormat(layout: BinanceCsvLayout): FileFormat {
  return {
    id: layout.format,
    title: `${MARKET_TITLES[layout.market]} ${layout.kind} CSV dump (data.binance.vision: ${layout.columns.length} columns)`,
    layout: 'rows',
    market: layout.market,
    detect: (head) => isBinanceDump(head, layout),
    isHeader: (line, first) => isCsvHeader(layout, line, first),
    parser: (symbol = '') => csvRowParser(layout, symbol),
    fastRow: (symbol, nowMs, out) => csvFastRow(layout, symbol, nowMs, out),
  };
}

/**
 * Binance: spot, USD-M and COIN-M futures trades, from data.binance.vision dumps and recorded
 * WebSocket frames. Each market is a venue of its own: they reuse trade ids.
 */
export const BINANCE: VenueDef = {
  id: 'binance',
  markets: Object.entries(MARKET_TITLES).map(([venue, title]) => ({ venue, title })),
  toCanonical: binanceToCanonical,
  fileName: binanceFileName,
  formats: [
    ...BINANCE_CSV_LAYOUTS.map(dumpFormat),
    {
      id: 'binance-ws',
      title:
        'recorded Binance WebSocket frames, spot or futures, one per line (raw, combined-stream, ' +
        '{"received_at","raw"}, cryptofeed captures)',
      layout: 'frames',
      market: undefined,
      detect: isBinanceFrames,
      recvTs: recordedRecvTs,
      parser: () => (line, origin, nowMs) => parseBinanceFrame(line, undefined, origin, nowMs),
    },
  ],
};
