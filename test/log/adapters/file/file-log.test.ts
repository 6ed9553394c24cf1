import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import type { FileEventLog, OpenFileLogOptions } from '../../../../src/log/index.js';
import { LOG_ERRORS, openFileLog } from '../../../../src/log/index.js';
import { runEventLogContract } from '../../contract.js';
import { checkAgainstModel, LogModel, makeRecords, Prng } from '../../contract-model.js';
import { openUnderTest, segmentFiles, tempDir } from './helpers.js';

runEventLogContract('file log, small segments, tail cache', () => openUnderTest({ segmentBytes: 16 * 1024 }));
runEventLogContract('file log, disk reads only, tiny chunks, fsync always', () =>
  openUnderTest({
    segmentBytes: 8 * 1024,
    tailCacheBytes: 0,
    readChunkBytes: 300,
    indexIntervalBytes: 1,
    fsync: 'always',
  }),
);

const HOUR_MS = 3_600_000;

async function withDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  try {
    await test(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function withFileLog(
  dir: string,
  tuning: Omit<OpenFileLogOptions, 'dir'>,
  test: (log: FileEventLog) => Promise<void>,
): Promise<void> {
  const log = await openFileLog({ dir, ...tuning });
  try {
    await test(log);
  } finally {
    await log.close();
  }
}

describe('file log', () => {
  it('lays out topics, partitions and segments named by their base offset', () =>
    withDir(async (dir) => {
      const model = new LogModel();
      await withFileLog(dir, { segmentBytes: 4096 }, async (log) => {
        await log.createTopic('t', { partitions: 2, retentionMs: HOUR_MS });
        const prng = new Prng(1);
        for (let i = 0; i < 40; i++) {
          const records = makeRecords(prng, 5, 'same-key', 300);
          const [ack] = await log.append('t', records);
          model.append(ack?.partition ?? -1, records);
        }
      });
      const config = JSON.parse(await readFile(join(dir, 'topics', 't', 'topic.json'), 'utf8'));
      assert.deepEqual(config, { topic: 't', config: { partitions: 2, retentionMs: HOUR_MS } });
      const used = model.end(0) > 0 ? 0 : 1;
      const files = await segmentFiles(dir, 't', used);
      assert.ok(files.length > 3, `${files.length} segments`);
      await withFileLog(dir, {}, async (log) => {
        assert.deepEqual(log.recovery, []);
        for (const [i, file] of files.entries()) {
          const base = Number(basename(file, '.log'));
          assert.match(basename(file), /^\d{20}\.log$/);
          const [first] = await log.read('t', used, base, { maxRecords: 1 });
          assert.equal(first?.offset, base, `segment ${i} starts at its base offset`);
          assert.ok((await stat(file)).size <= 4096 || i === files.length - 1);
        }
        await checkAgainstModel(log, 't', used, model, 0, 1000);
      });
      assert.deepEqual(await readdir(dir).then((names) => names.sort()), [
        'consumer-offsets',
        'recovery-points.json',
        'topics',
      ]);
    }));

  it('size retention deletes whole oldest segments while the rest still holds retentionBytes', () =>
    withDir((dir) =>
      withFileLog(dir, { segmentBytes: 4096, tailCacheBytes: 0 }, async (log) => {
        const retentionBytes = 20_000;
        await log.createTopic('t', { partitions: 1, retentionBytes });
        const prng = new Prng(2);
        for (let i = 0; i < 100; i++) await log.append('t', makeRecords(prng, 4, 'k', 250));
        const before = await segmentFiles(dir, 't', 0);
        const reading = log.read('t', 0, 0, { maxRecords: 5000 });
        const deleted = await log.applyRetention(Date.now());
        const read = await reading;
        assert.ok(
          read.every((r, i) => r.offset === (read[0]?.offset ?? 0) + i),
          'a concurrent read stays whole',
        );
        const after = await segmentFiles(dir, 't', 0);
        const { start } = await log.offsets('t', 0);
        assert.equal(deleted, start);
        assert.equal(Number(basename(after[0] as string, '.log')), start);
        assert.deepEqual(after, before.slice(before.length - after.length));
        const sizes = await Promise.all(after.map(async (file) => (await stat(file)).size));
        const total = sizes.reduce((a, b) => a + b, 0);
        assert.ok(total >= retentionBytes, `kept ${total} bytes`);
        assert.ok(total - (sizes[0] ?? 0) < retentionBytes, 'deleted every segment it could');
        assert.equal(await log.applyRetention(Date.now()), 0);
      }),
    ));

  it('createTopic with another retention updates the stored config', () =>
    withDir(async (dir) => {
      const now = Date.now();
      await withFileLog(dir, {}, async (log) => {
        await log.createTopic('t', { partitions: 1 });
        await log.append('t', makeRecords(new Prng(3), 10, 'k', 50, now - 2 * HOUR_MS));
        assert.equal(await log.applyRetention(now), 0);
        await log.createTopic('t', { partitions: 1, retentionMs: HOUR_MS });
      });
      await withFileLog(dir, {}, async (log) => {
        assert.equal(await log.applyRetention(now), 10);
        assert.deepEqual(await log.offsets('t', 0), { start: 10, end: 10 });
      });
      await withFileLog(dir, {}, async (log) => {
        assert.deepEqual(await log.offsets('t', 0), { start: 10, end: 10 }, 'start survives a reopen');
      });
    }));

  it('rejects topic names that are not plain file names', () =>
    withDir((dir) =>
      withFileLog(dir, {}, async (log) => {
        for (const name of ['', '../evil', 'a/b', '.hidden', '-x', 'x'.repeat(201)]) {
          await assert.rejects(log.createTopic(name, { partitions: 1 }), {
            code: LOG_ERRORS.invalidArgument,
          });
        }
        await log.createTopic('trades.v2_x-y', { partitions: 1 });
      }),
    ));

  it('stores consumer offsets of any group name inside its own directory', () =>
    withDir(async (dir) => {
      const groups = ['speed', '../../escape', 'grüße / ü', 'a.b'];
      await withFileLog(dir, {}, async (log) => {
        await log.createTopic('t', { partitions: 1 });
        for (const [i, group] of groups.entries()) await log.commitOffset(group, 't', 0, i + 1);
        await assert.rejects(log.commitOffset('', 't', 0, 1), { code: LOG_ERRORS.invalidArgument });
      });
      assert.equal((await readdir(join(dir, 'consumer-offsets'))).length, groups.length);
      assert.deepEqual((await readdir(dir)).sort(), ['consumer-offsets', 'recovery-points.json', 'topics']);
      await withFileLog(dir, {}, async (log) => {
        for (const [i, group] of groups.entries())
          assert.equal(await log.committedOffset(group, 't', 0), i + 1);
      });
    }));

  it('rejects bad options and bad records with LOG_INVALID_ARGUMENT', () =>
    withDir(async (dir) => {
      const code = LOG_ERRORS.invalidArgument;
      await assert.rejects(openFileLog({ dir, segmentBytes: 0 }), { code });
      await assert.rejects(openFileLog({ dir, tailCacheBytes: -1 }), { code });
      await withFileLog(dir, {}, async (log) => {
        await log.createTopic('t', { partitions: 1 });
        const bad = [
          { key: 'k', value: 'text', ts: 1 },
          { key: 1, value: new Uint8Array(1), ts: 1 },
          { key: 'k', value: new Uint8Array(1), ts: Number.NaN },
        ];
        for (const record of bad) {
          await assert.rejects(
            log.append('t', [record as unknown as { key: string; value: Uint8Array; ts: number }]),
            {
              code,
            },
          );
        }
        assert.deepEqual(await log.offsets('t', 0), { start: 0, end: 0 });
      });
    }));
});
