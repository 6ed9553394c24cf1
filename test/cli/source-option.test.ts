import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkFormat,
  formatOptionHelp,
  parseSourceOption,
  type SourceDefaults,
} from '../../src/cli/source-option.js';
import { isCryptoLambdaError } from '../../src/domain/index.js';
import { FORMAT_IDS } from '../../src/ingest/index.js';

const NONE: SourceDefaults = {
  replayRate: undefined,
  symbol: undefined,
  format: undefined,
  simRate: undefined,
};

function badOption(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isCryptoLambdaError(error));
    assert.equal(error.code, 'CLI_BAD_OPTION');
    assert.match(error.message, message);
    return true;
  });
}

describe('--source of start', () => {
  it('takes a replay file alone, with the defaults of --replay-rate, --symbol and --format', () => {
    assert.deepEqual(parseSourceOption('replay:d/x.csv.gz', NONE), {
      kind: 'replay',
      path: 'd/x.csv.gz',
      options: {},
    });
    const defaults = { ...NONE, replayRate: 50, symbol: 'XRPETH', format: 'binance-aggtrades-csv' };
    assert.deepEqual(parseSourceOption('replay:x.csv', defaults), {
      kind: 'replay',
      path: 'x.csv',
      options: { replayRate: 50, symbol: 'XRPETH', format: 'binance-aggtrades-csv' },
    });
    assert.deepEqual(parseSourceOption('simulator', { ...NONE, simRate: 7 }), {
      kind: 'simulator',
      options: { tradesPerSec: 7 },
    });
  });

  it('takes a symbol and a format for one file after a #, over the defaults', () => {
    const defaults = { ...NONE, symbol: 'BTCUSDT', format: 'binance-trades-csv' };
    assert.deepEqual(parseSourceOption('replay:day-12.csv.gz#symbol=XRPETH', defaults).options, {
      symbol: 'XRPETH',
      format: 'binance-trades-csv',
    });
    assert.deepEqual(
      parseSourceOption('replay:a#b.csv#symbol=BTCUSD_PERP,format=binance-coinm-aggtrades-csv', NONE),
      {
        kind: 'replay',
        path: 'a#b.csv',
        options: { symbol: 'BTCUSD_PERP', format: 'binance-coinm-aggtrades-csv' },
      },
    );
    // A # that is not followed by options is part of the path.
    assert.equal(parseSourceOption('replay:take#2.csv', NONE).kind, 'replay');
    assert.deepEqual(parseSourceOption('replay:take#2.csv', NONE), {
      kind: 'replay',
      path: 'take#2.csv',
      options: {},
    });
  });

  it('names what is wrong and what it takes', () => {
    badOption(
      () => parseSourceOption('replay:x.csv#sym=XRPETH', NONE),
      /"sym=XRPETH" is not an option.*symbol=<symbol>,format=<format>/,
    );
    badOption(
      () => parseSourceOption('replay:x.csv#format=csv', NONE),
      /format "csv" is not a format; use one of binance-aggtrades-csv/,
    );
    badOption(() => parseSourceOption('replay:', NONE), /use replay:<file>/);
    badOption(() => parseSourceOption('kafka:x', NONE), /is not a source/);
  });
});

describe('--format', () => {
  it('takes the registered formats, and lists them in help', () => {
    for (const id of FORMAT_IDS) assert.equal(checkFormat(id), id);
    badOption(() => checkFormat('binance'), /--format "binance" is not a format/);
    const help = formatOptionHelp(20);
    for (const id of FORMAT_IDS) assert.ok(help.includes(id), id);
  });
});
