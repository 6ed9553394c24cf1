import { detectFormats, FORMAT_IDS, VENUES } from '../venues/index.js';

/** A registered file format's id (`FORMAT_IDS`): `binance-aggtrades-csv`, `binance-ws`, … */
export type ReplayFormat = string;

/** The formats a file can be replayed in: every registered venue's. */
export const REPLAY_FORMATS: readonly ReplayFormat[] = FORMAT_IDS;

/**
 * The one registered format that recognises a file from its path and first lines; undefined
 * when none does or several do (`inspectReplay` tells the two apart).
 */
export function detectFormat(
  path: string,
  headLines: readonly string[],
  symbol?: string,
): ReplayFormat | undefined {
  const found = detectFormats({ path, lines: headLines, symbol });
  return found.length === 1 ? found[0]?.id : undefined;
}

/** The canonical symbol a file's name gives in some venue's naming (`XRPETH-aggTrades-…` → `XRP-ETH`). */
export function symbolFromFileName(path: string): string | undefined {
  for (const venue of VENUES) {
    const symbol = venue.fileName(path)?.symbol;
    if (symbol !== undefined) return symbol;
  }
  return undefined;
}
