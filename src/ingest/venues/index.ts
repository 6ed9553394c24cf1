import { isCanonicalSymbol } from '../../domain/index.js';
import { BINANCE } from './binance/index.js';
import type { FileFormat, FileHead, VenueDef } from './venue.js';

/**
 * Every venue ingest knows, in the order detection and help list them. Adding a venue: a folder
 * beside `binance/` exporting its `VenueDef`, and its line here.
 */
export const VENUES: readonly VenueDef[] = [BINANCE];

/** Every registered file format, venue by venue. */
export const FILE_FORMATS: readonly FileFormat[] = VENUES.flatMap((venue) => venue.formats);

/** The ids of the registered file formats: the values `--format` takes. */
export const FORMAT_IDS: readonly string[] = FILE_FORMATS.map((format) => format.id);

export function formatById(id: string): FileFormat | undefined {
  return FILE_FORMATS.find((format) => format.id === id);
}

/** The venue a registered format belongs to. */
export function venueOfFormat(format: FileFormat): VenueDef {
  const venue = VENUES.find((v) => v.formats.includes(format));
  if (venue === undefined) throw new Error(`format ${format.id} is not registered`);
  return venue;
}

/** The formats that recognise a file: none, one, or (ambiguous) several. */
export function detectFormats(head: FileHead): FileFormat[] {
  return FILE_FORMATS.filter((format) => format.detect(head));
}

/**
 * A symbol as a user writes it, canonical: `XRP-ETH` stays, a venue's spelling (`XRPETH`,
 * `xrpeth`) goes through that venue's mapping, or the first venue's that knows it when no venue
 * is given. Undefined when none does.
 */
export function canonicalSymbolOf(text: string, venue?: VenueDef): string | undefined {
  const upper = text.trim().toUpperCase();
  if (upper.includes('-') && isCanonicalSymbol(upper)) return upper;
  for (const v of venue === undefined ? VENUES : [venue]) {
    const symbol = v.toCanonical(upper);
    if (symbol !== undefined) return symbol;
  }
  return undefined;
}
