import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TradeSchema } from '../../../src/domain/index.js';
import {
  canonicalSymbolOf,
  detectFormats,
  FILE_FORMATS,
  FORMAT_IDS,
  formatById,
  VENUES,
  venueOfFormat,
} from '../../../src/ingest/index.js';
import {
  AGG_TRADES_CSV_GZ,
  COINM_CAPTURE,
  fixtureLines,
  USDM_CAPTURE,
  WS_CAPTURE_GZ,
  WS_JSONL,
} from '../fixtures.js';

/**
 * The registry's rules, for every registered venue: a venue added to `VENUES` is held to them
 * without a test of its own.
 */
describe('the venue registry', () => {
  const venuePattern = new RegExp((TradeSchema.properties.venue as { pattern?: string }).pattern ?? '');

  it('has unique venue ids, market venues and format ids', () => {
    const unique = (values: readonly string[]): boolean => new Set(values).size === values.length;
    assert.ok(unique(VENUES.map((v) => v.id)));
    assert.ok(unique(VENUES.flatMap((v) => v.markets.map((m) => m.venue))));
    assert.ok(unique(FORMAT_IDS));
    assert.equal(FILE_FORMATS.length, FORMAT_IDS.length);
  });

  it('gives every market a venue id trades can carry, and every format a market of its venue or none', () => {
    for (const venue of VENUES) {
      for (const market of venue.markets) assert.match(market.venue, venuePattern, market.venue);
      for (const format of venue.formats) {
        assert.equal(venueOfFormat(format), venue);
        assert.equal(formatById(format.id), format);
        if (format.layout === 'rows') assert.ok(format.market !== undefined, format.id);
        if (format.market !== undefined) {
          assert.ok(
            venue.markets.some((m) => m.venue === format.market),
            `${format.id}: ${format.market}`,
          );
        }
      }
    }
  });

  it('detects each real fixture as exactly one format', () => {
    for (const path of [AGG_TRADES_CSV_GZ, WS_JSONL, WS_CAPTURE_GZ, USDM_CAPTURE, COINM_CAPTURE]) {
      const found = detectFormats({ path, lines: fixtureLines(path).slice(0, 16), symbol: undefined });
      assert.equal(found.length, 1, `${path}: ${found.map((f) => f.id).join(', ')}`);
    }
  });

  it('takes canonical symbols as they are and venue spellings through the venue', () => {
    assert.equal(canonicalSymbolOf('xrp-eth'), 'XRP-ETH');
    assert.equal(canonicalSymbolOf('XRPETH'), 'XRP-ETH');
    assert.equal(canonicalSymbolOf('btcusd_perp'), 'BTC-USD');
    assert.equal(canonicalSymbolOf('NOPE'), undefined);
  });
});
