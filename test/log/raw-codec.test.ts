import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { isCryptoLambdaError, type RawBatch } from '../../src/domain/index.js';
import {
  bronzeLine,
  decodeRawBatchHeader,
  encodeRawBatch,
  forEachRawPayload,
  rawBatchCodec,
  rawBronzeMember,
  TOPICS,
} from '../../src/log/index.js';

/** Payloads as sources receive them, and text built to trip a line- or JSON-based layout. */
const payload = fc.oneof(
  fc.string({ maxLength: 300, unit: 'binary' }),
  fc.string({
    maxLength: 50,
    unit: fc.constantFrom('\n', '\r', '"', '\\', ',', '\u0000', 'é', '€', '😀', 'a'),
  }),
  fc.constantFrom('', '\n', '{"e":"aggTrade"}\n{"e":"trade"}', '13519807,0.00141342,23.00000000,true'),
);

const rawBatch = fc.record<RawBatch>({
  source: fc.string({ minLength: 1, maxLength: 80, unit: 'binary' }),
  position: fc.string({ maxLength: 80, unit: 'binary' }),
  recvTs: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  payloads: fc.array(payload, { maxLength: 30 }),
});

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};

/**
 * The layout written out plainly, field by field: the codec must match it byte for byte, the
 * body once decompressed when it is (encoding 1, Brotli; 0, plain).
 */
function referenceLayout(r: RawBatch): { head: Buffer; body: Buffer } {
  const header = Buffer.from(JSON.stringify({ source: r.source, position: r.position, recvTs: r.recvTs }));
  const body = [u32(r.payloads.length)];
  for (const p of r.payloads) {
    const bytes = Buffer.from(p, 'utf8');
    body.push(u32(bytes.length), bytes);
  }
  return { head: Buffer.concat([Buffer.from([1]), u32(header.length), header]), body: Buffer.concat(body) };
}

function assertLayout(bytes: Uint8Array, r: RawBatch): void {
  const { head, body } = referenceLayout(r);
  const buf = Buffer.from(bytes);
  assert.deepEqual(buf.subarray(0, head.length), head);
  const encoding = buf[head.length];
  const stored = buf.subarray(head.length + 1);
  assert.equal(encoding, body.length < 1024 ? 0 : 1, 'small bodies plain, others compressed');
  assert.deepEqual(encoding === 1 ? brotliDecompressSync(stored) : stored, body);
}

const sample: RawBatch = {
  source: 'replay:BINANCE.ws.1.0_2021-04-17.gz',
  position: '3',
  recvTs: 1618677372177,
  payloads: [
    'wss://stream.binance.com:9443/stream?streams=swrvbusd@aggTrade',
    '1618677372.1768699: {"stream":"busdtry@depth@100ms","data":{"e":"depthUpdate"}}',
    'prix: 0,00141342 €, 😀',
    'two\nlines',
    '',
  ],
};

describe('raw record codec', () => {
  it('is the raw topic codec; the topic is keyed by source, 2 partitions, 7 days, append time', () => {
    assert.equal(TOPICS.raw.codec, rawBatchCodec);
    assert.equal(TOPICS.raw.name, 'raw');
    assert.deepEqual(TOPICS.raw.config, { partitions: 2, retentionMs: 7 * 86_400_000 });
    assert.equal(TOPICS.raw.key(sample), sample.source);
    const before = Date.now();
    const ts = TOPICS.raw.ts(sample);
    assert.ok(ts >= before && ts <= Date.now(), 'stamped with the append time, not recvTs');
  });

  it('round-trips payloads exactly: unicode, newlines, quotes, empty ones, an empty list', () => {
    assert.deepEqual(rawBatchCodec.decode(rawBatchCodec.encode(sample)), sample);
    const empty: RawBatch = { ...sample, payloads: [] };
    assert.deepEqual(rawBatchCodec.decode(rawBatchCodec.encode(empty)), empty);
  });

  it('round-trips any record and encodes it as the layout says (property)', () => {
    fc.assert(
      fc.property(rawBatch, (r) => {
        const bytes = rawBatchCodec.encode(r);
        assertLayout(bytes, r);
        assert.deepEqual(rawBatchCodec.decode(bytes), { ...r });
        assert.deepEqual(decodeRawBatchHeader(bytes), {
          source: r.source,
          position: r.position,
          recvTs: r.recvTs,
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('hands bronze its gzip member as stored, and builds one for a plain record', () => {
    const frames = Array.from({ length: 500 }, (_, i) => `{"e":"aggTrade","p":"0.${i}"}`);
    for (const batch of [sample, { ...sample, payloads: frames }]) {
      const { header, member, lines } = rawBronzeMember(encodeRawBatch(batch));
      assert.deepEqual(header, { source: batch.source, position: batch.position, recvTs: batch.recvTs });
      assert.equal(lines, batch.payloads.length);
      assert.equal(
        gunzipSync(member).toString('utf8'),
        batch.payloads.map((p) => bronzeLine(batch.recvTs, p)).join(''),
      );
    }
  });

  it('stores each payload as its bytes, not as escaped JSON; a large batch compressed', () => {
    const frame = '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","p":"0.1"}}';
    const small = { ...sample, payloads: [frame] };
    const bytes = encodeRawBatch(small);
    assert.ok(Buffer.from(bytes).includes(Buffer.from(frame)));
    assertLayout(bytes, small);
    const frames = Array.from({ length: 2000 }, (_, i) => frame.replace('0.1', `0.${i}`));
    const large = { ...sample, payloads: frames };
    const compressed = encodeRawBatch(large);
    assertLayout(compressed, large);
    const plainBytes = frames.reduce((n, f) => n + 4 + f.length, 0);
    assert.ok(compressed.length * 4 < plainBytes, `${compressed.length} bytes for ${plainBytes}`);
    assert.deepEqual(rawBatchCodec.decode(compressed), large);
  });

  it('round-trips a payload of megabytes (past the reused scratch buffer)', () => {
    const big: RawBatch = { ...sample, payloads: ['é'.repeat(3_000_000), 'x'.repeat(6_000_000), 'end'] };
    assert.deepEqual(rawBatchCodec.decode(rawBatchCodec.encode(big)), big);
    assert.deepEqual(rawBatchCodec.decode(rawBatchCodec.encode(sample)), sample);
  });

  it('fills an ArrayBuffer of its own, so a worker thread can transfer it', () => {
    const bytes = encodeRawBatch(sample);
    assert.equal(bytes.byteOffset, 0);
    assert.equal(bytes.byteLength, bytes.buffer.byteLength);
  });

  it('decodes from a plain Uint8Array view into a larger buffer, as the log returns them', () => {
    const bytes = encodeRawBatch(sample);
    const big = new Uint8Array(bytes.length + 20);
    big.set(bytes, 7);
    assert.deepEqual(rawBatchCodec.decode(big.subarray(7, 7 + bytes.length)), sample);
  });

  it('visits payloads one by one, in order, and stops when asked', () => {
    const bytes = encodeRawBatch(sample);
    const seen: string[] = [];
    forEachRawPayload(bytes, (p, i) => {
      assert.equal(i, seen.length);
      seen.push(p);
    });
    assert.deepEqual(seen, sample.payloads);
    const firstTwo: string[] = [];
    forEachRawPayload(bytes, (p) => firstTwo.push(p) < 2);
    assert.deepEqual(firstTwo, sample.payloads.slice(0, 2));
  });

  it('decodes any bytes to a record or refuses them with LOG_CORRUPT, nothing else (property)', () => {
    const valids = [
      encodeRawBatch(sample),
      encodeRawBatch({ ...sample, payloads: Array(100).fill('1618677372: {}') }),
    ];
    const damaged = fc
      .tuple(
        fc.constantFrom(...valids),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.uint8Array({ maxLength: 8 }),
      )
      .map(([valid, where, noise]) => {
        const at = Math.floor(where * (valid.length - 1));
        const cut = Math.max(at, Math.floor((1 - where) * valid.length));
        const b = Buffer.from(valid).subarray(0, Math.max(at, cut));
        b.set(noise.subarray(0, Math.max(0, b.length - at)), at);
        return b;
      });
    const versioned = fc.uint8Array({ maxLength: 80 }).map((b) => {
      if (b.length > 0) b[0] = 1;
      return b;
    });
    fc.assert(
      fc.property(fc.oneof(damaged, versioned), (bytes) => {
        try {
          rawBatchCodec.decode(bytes);
        } catch (error) {
          assert.ok(isCryptoLambdaError(error, 'LOG_CORRUPT'), String(error));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses bytes that are not a raw record with LOG_CORRUPT', () => {
    const valid = encodeRawBatch(sample);
    const compressed = encodeRawBatch({ ...sample, payloads: Array(100).fill('1618677372: {}') });
    for (const bytes of [
      // Cut inside its Brotli stream (the log's checksum, not the codec, catches changed bytes).
      compressed.subarray(0, compressed.length - 2),
      new Uint8Array(0),
      new TextEncoder().encode(JSON.stringify(sample)),
      valid.subarray(0, valid.length - 1),
      Buffer.concat([valid, Buffer.from([0])]),
    ]) {
      assert.throws(
        () => rawBatchCodec.decode(bytes),
        (e: unknown) => isCryptoLambdaError(e, 'LOG_CORRUPT'),
      );
    }
  });
});
