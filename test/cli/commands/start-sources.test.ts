import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, FIXTURES, runCli, startServing } from '../helpers.js';

/**
 * `start --source replay:<file>` with a dump whose name does not say its symbol: the symbol
 * comes after a `#` (or from `--symbol`), and the process fails at once, saying so, without it.
 */
const SAMPLE = `${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`;

describe('crypto-lambda start: replay sources that need a symbol', () => {
  let dir: string;
  let anonymous: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-start-src-'));
    anonymous = join(dir, 'day-11.csv.gz');
    await copyFile(SAMPLE, anonymous);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('fails at once, exit 1, naming the option, when nothing gives the symbol', async () => {
    const result = await runCli([
      'start',
      '--source',
      `replay:${anonymous}`,
      '--port',
      '0',
      '--data-dir',
      join(dir, 'a'),
    ]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(
      result.stderr,
      /day-11\.csv\.gz does not name its symbol.*pass --symbol.*\[INGEST_SYMBOL_REQUIRED\]/,
    );
  });

  it('replays it under the symbol given after # (and under --symbol)', async () => {
    for (const [name, args] of [
      ['hash', ['--source', `replay:${anonymous}#symbol=XRPETH`]],
      ['flag', ['--source', `replay:${anonymous}`, '--symbol', 'XRP-ETH']],
    ] as const) {
      const serving = await startServing(['start', ...args, '--port', '0', '--data-dir', join(dir, name)]);
      try {
        const symbols = await eventually('XRP-ETH listed', async () => {
          const body = (await (await fetch(`${serving.url}/api/v1/symbols`)).json()) as {
            symbols: { venue: string; symbol: string }[];
          };
          return body.symbols.some((s) => s.symbol === 'XRP-ETH') ? body.symbols : undefined;
        });
        assert.deepEqual(
          symbols.map((s) => `${s.venue}:${s.symbol}`),
          ['binance:XRP-ETH'],
        );
      } finally {
        assert.equal(await serving.stop(), 0, serving.stderr());
      }
    }
  });
});
