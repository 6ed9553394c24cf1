import { recordedRecvTs } from '../recorded.js';
import type { VenueDef } from '../venue.js';
import { isCsvHeader, parseAggTradeCsvLine, parseTradeCsvLine } from './csv.js';
import { BINANCE_VENUE } from './fields.js';
import { binanceFileKind, binanceFileName } from './files.js';
import { binanceToCanonical } from './symbols.js';
import { parseBinanceFrame } from './ws.js';

/**
 * Binance: spot trades from data.binance.vision dumps and recorded WebSocket frames.
 */
export const BINANCE: VenueDef = {
  id: 'binance',
  markets: [{ venue: BINANCE_VENUE, title: 'Binance spot' }],
  toCanonical: binanceToCanonical,
  fileName: binanceFileName,
  formats: [
    {
      id: 'binance-aggtrades-csv',
      title: 'Binance aggTrades CSV dump (data.binance.vision)',
      layout: 'rows',
      market: BINANCE_VENUE,
      detect: (head) => binanceFileKind(head) === 'aggTrades',
      isHeader: isCsvHeader,
      parser:
        (symbol = '') =>
        (line, origin, nowMs) =>
          parseAggTradeCsvLine(line, symbol, origin, nowMs),
    },
    {
      id: 'binance-trades-csv',
      title: 'Binance trades CSV dump (data.binance.vision)',
      layout: 'rows',
      market: BINANCE_VENUE,
      detect: (head) => binanceFileKind(head) === 'trades',
      isHeader: isCsvHeader,
      parser:
        (symbol = '') =>
        (line, origin, nowMs) =>
          parseTradeCsvLine(line, symbol, origin, nowMs),
    },
    {
      id: 'binance-ws',
      title:
        'recorded Binance WebSocket frames, one per line (raw, combined-stream, {"received_at","raw"}, cryptofeed captures)',
      layout: 'frames',
      market: undefined,
      detect: (head) => binanceFileKind(head) === 'frames',
      recvTs: recordedRecvTs,
      parser: () => (line, origin, nowMs) => parseBinanceFrame(line, undefined, origin, nowMs),
    },
  ],
};
