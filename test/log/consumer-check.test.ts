import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { checkConsumerOffsets, LOG_ERRORS, type OffsetPastEnd, openFileLog } from '../../src/log/index.js';
import { tempDir } from './adapters/file/helpers.js';
import { makeRecords, Prng } from './contract-model.js';

describe('checkConsumerOffsets', () => {
  it('passes offsets up to the end, and names every partition read past its end', async () => {
    const dir = await tempDir();
    const log = await openFileLog({ dir });
    try {
      await log.createTopic('t', { partitions: 3 });
      await log.append('t', makeRecords(new Prng(1), 20, 'a'));
      const p = log.partitionFor('t', 'a');
      const offsets = [0, 0, 0];
      offsets[p] = 20;
      await checkConsumerOffsets(log, 't', offsets, 'me');
      await checkConsumerOffsets(log, 't', [], 'me');
      offsets[p] = 21;
      offsets[(p + 1) % 3] = 4;
      await assert.rejects(
        checkConsumerOffsets(log, 't', offsets, 'the tester (file x)'),
        (error: unknown) => {
          const e = error as { code: string; message: string; details: OffsetPastEnd[] };
          assert.equal(e.code, LOG_ERRORS.offsetPastEnd);
          assert.match(e.message, /^the tester \(file x\) has read topic t partition \d up to offset/);
          assert.deepEqual(
            e.details.map((d) => [d.partition, d.offset, d.end]).sort(),
            [
              [p, 21, 20],
              [(p + 1) % 3, 4, 0],
            ].sort(),
          );
          return true;
        },
      );
    } finally {
      await log.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
