import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openReplay } from '../../../src/ingest/index.js';
import { prng } from '../../pipeline/synthetic.js';
import { collect } from '../fixtures.js';
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

  // 12 MB: past 8 MiB by more than a read chunk, so the cut comes before the line ends.
  it('cuts a line longer than 8 MiB between characters, never inside one', async () => {
    const long = `x${'é'.repeat(6_000_000)}`;
    const file = tmp.path('long.txt');
    writeFileSync(file, `${long}\nxend\n`);
    const got = await payloads(file);
    assert.ok(got.length >= 3, `${got.length} pieces`);
    assert.equal(got.at(-1), 'xend');
    assert.equal(got.slice(0, -1).join(''), long);
    assert.ok(got.every((l) => !l.includes('\ufffd')));
  });
});
