import type { UnixMs } from '../domain/index.js';

/**
 * Per series-hour, the largest integer id one lake writer run has staged, kept across its
 * commits (and shared by its two stagings) until the hour is sealed. Parts of an hour that all
 * continued the same run's chains strictly hold no duplicate among them.
 */
export interface IdChains {
  /** Names the writer run; a part whose ids continued its chains carries it. */
  readonly runId: string;
  chainOf(venue: string, symbol: string, hourTs: UnixMs): { maxId: number };
  /** Drops the chains of a venue's hour (once sealed, later trades are compacted and deduplicated). */
  forget(venue: string, hourTs: UnixMs): void;
}

export function createIdChains(runId: string): IdChains {
  const byVenueHour = new Map<string, Map<string, { maxId: number }>>();
  return {
    runId,
    chainOf(venue, symbol, hourTs) {
      const key = `${venue}|${hourTs}`;
      let bySymbol = byVenueHour.get(key);
      if (bySymbol === undefined) {
        bySymbol = new Map();
        byVenueHour.set(key, bySymbol);
      }
      let chain = bySymbol.get(symbol);
      if (chain === undefined) {
        chain = { maxId: Number.NEGATIVE_INFINITY };
        bySymbol.set(symbol, chain);
      }
      return chain;
    },
    forget(venue, hourTs) {
      byVenueHour.delete(`${venue}|${hourTs}`);
    },
  };
}
