import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openReplay } from '../../../src/ingest/index.js';
import { prng } from '../../pipeline/synthetic.js';
import { AGG_TRADES_CSV_GZ, collect, fixtureLines } from '../fixtures.js';
import { tempDir } from './tmp.js';

const tmp = tempDir();
after(() => tmp.cleanup());

const PIECES = ['a', '7', ',', ' ', '"', '\r', 'é', '€', '😀', '\u0000', '{"e":"aggTrade"}'];

/** Lines of random text, multi-byte characters included, long enough to span many read chunks. */
function randomLines(seed: number, count: number): string[] {
  const random = prng(seed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const length = Math.floor(random() * random() * 400);
    let line = '';
    for (let j = 0; j < length; j++) line += PIECES[Math.floor(random() * PIECES.length)];
    lines.push(line);
  }
  return lines;
}

/** The lines the replay hands to its parser: all but blank ones, each rejected as bad JSON. */
async function payloads(file: string): Promise<string[]> {
  const batches = await collect(openReplay(file, { format: 'binance-ws', batchSize: 997 }));
  return batches.flatMap((b) => b.rejected.map((r) => r.payload));
}

describe('replay lines', () => {
  it('cuts every line whole across read chunks, multi-byte characters and gzip included', async () => {
    // A BOM first, then ~5 MB of lines: read in chunks of 1 MiB (256 KiB gzipped), many lines and
    // characters straddle two.
    const lines = randomLines(5, 40_000).map((l) => `x${l}`);
    const text = `\ufeff${lines.join('\n')}`;
    const plain = tmp.path('random.txt');
    writeFileSync(plain, text);
    const gz = tmp.path('random.txt.gz');
    writeFileSync(gz, gzipSync(text));
    const expected = lines;
    assert.deepEqual(await payloads(plain), expected);
    assert.deepEqual(await payloads(gz), expected);
  });

  it('decodes chunks of ASCII alone and chunks with other characters alike', async () => {
    // ~4 MB of ASCII frames with a few non-ASCII lines: some read chunks are ASCII, some not.
    const lines = Array.from({ length: 40_000 }, (_, i) =>
      i % 9_000 === 4_500 ? `x${i} é€😀 ${'y'.repeat(50)}` : `x{"i":${i},"p":"${'z'.repeat(i % 150)}"}`,
    );
    const file = tmp.path('mostly-ascii.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);
    assert.deepEqual(await payloads(file), lines);
  });

  it('decodes invalid UTF-8 per line as a decoder of the whole file would', async () => {
    const bytes = Buffer.concat([
      Buffer.from('x1\n'),
      Buffer.from([0x78, 0xe2, 0x82]), // an unfinished '€' right before the newline
      Buffer.from('\nx\xff2\n', 'latin1'),
      Buffer.from([0x78, 0xf0, 0x9f, 0x98, 0x80, 0x0a]),
    ]);
    const file = tmp.path('invalid.txt');
    writeFileSync(file, bytes);
    const expected = bytes
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
    assert.deepEqual(await payloads(file), expected);
  });

  // 12 MB: past 8 MiB by more than a read chunk, so the line is passed over before it ends.
  it('rejects a line longer than 8 MiB as line_too_long, keeping its first bytes whole, never inside a character', async () => {
    const long = `x${'é'.repeat(6_000_000)}`;
    const file = tmp.path('long.txt');
    writeFileSync(file, `${long}\nxend\n`);
    const rejected = (await collect(openReplay(file, { format: 'binance-ws' }))).flatMap((b) => b.rejected);
    assert.deepEqual(
      rejected.map((r) => [r.reason, r.origin]),
      [
        ['line_too_long', `${file}:1`],
        ['bad_json', `${file}:2`],
      ],
    );
    const [cut] = rejected;
    assert.ok(cut !== undefined && long.startsWith(cut.payload));
    assert.ok(cut.payload.length > 500 && Buffer.byteLength(cut.payload) <= 1024, `${cut.payload.length}`);
    assert.ok(!cut.payload.includes('\ufffd'));
    assert.match(
      cut.detail,
      new RegExp(`line 1 is ${Buffer.byteLength(long)} bytes, past the 8388608-byte limit`),
    );
    assert.equal(cut.stage, 'ingest:replay');
  });

  it('a 50 MB line without commas in a dump becomes one rejection, and every real row a trade', async () => {
    const rows = fixtureLines(AGG_TRADES_CSV_GZ);
    const garbage = 'A'.repeat(50 * 1024 * 1024);
    const lines = [...rows.slice(0, 100), garbage, ...rows.slice(100)];
    const file = tmp.path('XRPETH-aggTrades-2019-10-11.csv.gz');
    writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
    const batches = await collect(openReplay(file));
    const trades = batches.flatMap((b) => b.trades);
    const rejected = batches.flatMap((b) => b.rejected);
    assert.equal(trades.length, rows.length - 1);
    assert.deepEqual(
      rejected.map((r) => [r.reason, r.origin, r.payload.length]),
      [['line_too_long', `${file}:101`, 1024]],
    );
    // The raw record keeps what was kept of it, not 50 MB.
    const raw = batches.flatMap((b) => b.raw?.payloads ?? []);
    assert.equal(raw.length, lines.length);
    assert.equal(raw[100], 'A'.repeat(1024));
  });

  it('passes an over-long last line without a newline over the same way', async () => {
    const file = tmp.path('tail.txt');
    writeFileSync(file, `xstart\n${'y'.repeat(9 * 1024 * 1024)}`);
    const rejected = (await collect(openReplay(file, { format: 'binance-ws' }))).flatMap((b) => b.rejected);
    assert.deepEqual(
      rejected.map((r) => r.reason),
      ['bad_json', 'line_too_long'],
    );
  });
});
