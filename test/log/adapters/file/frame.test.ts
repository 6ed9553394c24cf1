import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeKey } from '../../../../src/log/adapters/file/frame.js';

describe('record frames', () => {
  it('decodes keys as UTF-8 decoding does, however many keys share the cache (property)', () => {
    // Many distinct keys (more than the cache holds, so slots collide), each decoded again and
    // again in a random order, from buffers where they sit at random positions.
    // Keys of one length collide in the cache's slots; others have any length and script.
    const key = fc.oneof(
      fc.stringMatching(/^[a-z]{4}:[A-Z]{3}-[A-Z]{4}$/),
      fc.string({ minLength: 0, maxLength: 80, unit: 'grapheme' }),
    );
    const keys = fc.uniqueArray(key, { minLength: 1, maxLength: 600 });
    fc.assert(
      fc.property(
        keys,
        fc.array(fc.nat(), { minLength: 1, maxLength: 2000 }),
        fc.nat(7),
        (list, picks, pad) => {
          for (const pick of picks) {
            const key = list[pick % list.length] as string;
            const bytes = Buffer.concat([
              Buffer.alloc(pad, 0x41),
              Buffer.from(key, 'utf8'),
              Buffer.alloc(3, 0x42),
            ]);
            assert.equal(decodeKey(bytes, pad, bytes.length - 3), key);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
