import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fixtureLines } from '../../ingest/fixtures.js';
import { aggTradeFrame, simulatedTrades } from '../../pipeline/synthetic.js';
import { FIXTURES, runCli } from '../helpers.js';

const SAMPLE = `${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`;

/** `crypto-lambda replay` as a process: its exit status says whether the input gave anything. */
describe('crypto-lambda replay: rejected input and --format', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-replay-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('exits 1 when every record is rejected, saying how many, why and the first ones with their lines', async () => {
    const file = join(dir, 'XRPETH-aggTrades-2019-10-11.csv');
    await writeFile(file, `${['1,2,3', '4,5,6', 'x,y,z,w'].join('\n')}\n`);
    const result = await runCli(['replay', '--input', file, '--data-dir', join(dir, 'all')]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /0 new trades, 0 duplicates dropped, 3 rejected/);
    assert.match(result.stderr, new RegExp(`${file.replace(/[.]/g, '\\.')}:1 bad_csv: expected 8 columns`));
    assert.match(
      result.stderr,
      /every record of .* was rejected \(3: bad_csv: 3\) and no trade came out of it; .*\/api\/v1\/rejected.*\[CLI_ALL_REJECTED\]/,
    );
  });

  it('exits 0 when some records are rejected beside trades, and says so', async () => {
    const lines = fixtureLines(SAMPLE);
    const file = join(dir, 'XRPETH-aggTrades-2019-10-11.csv');
    await writeFile(file, `${[...lines.slice(0, 50), 'garbage', ...lines.slice(50, 60)].join('\n')}\n`);
    const result = await runCli(['replay', '--input', file, '--data-dir', join(dir, 'some')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /1 record\(s\) rejected \(bad_csv: 1\) beside 59 trades/);
    assert.match(result.stderr, /XRPETH-aggTrades-2019-10-11\.csv:51 bad_csv/);
  });

  it('reads with --format what detection cannot tell', async () => {
    const trades = (await simulatedTrades(200, 4)).filter((t) => t.symbol === 'BTC-USDT');
    const replies = Array.from({ length: 20 }, (_, i) => `{"result":null,"id":${i}}`);
    const file = join(dir, 'recording.jsonl');
    await writeFile(file, `${[...replies, ...trades.map(aggTradeFrame)].join('\n')}\n`);
    const undetected = await runCli(['replay', '--input', file, '--data-dir', join(dir, 'fmt1')]);
    assert.equal(undetected.code, 1);
    assert.match(undetected.stderr, /cannot tell the format of .*pass --format .*\[INGEST_UNKNOWN_FORMAT\]/);
    const given = await runCli([
      'replay',
      '--input',
      file,
      '--format',
      'binance-ws',
      '--data-dir',
      join(dir, 'fmt2'),
    ]);
    assert.equal(given.code, 0, given.stderr);
    assert.match(given.stderr, new RegExp(`${trades.length} new trades`));
  });
});
