import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppendRecord, EventLog, StoredRecord } from '../../src/log/index.js';
import { fnv1a32, LOG_ERRORS } from '../../src/log/index.js';
import { checkAgainstModel, LogModel, makeRecord, makeRecords, Prng } from './contract-model.js';

/** An adapter instance under test, on fresh, empty storage. */
export interface EventLogUnderTest {
  log: EventLog;
  /** Closes whatever log is open (closing twice is fine) and deletes the storage. */
  cleanup(): Promise<void>;
  /**
   * Opens a new `EventLog` on the same storage, after the test closed `log`. Adapters without
   * durable storage leave it out and skip the reopen tests.
   */
  reopen?(): Promise<EventLog>;
}

const HOUR_MS = 3_600_000;

/**
 * The contract every `EventLog` adapter passes unchanged (embedded file log, NATS JetStream,
 * Kafka). `open` gives a fresh, empty log each time. The storage should use small segments
 * (a few KiB) where it has them, so that reads cross segment files.
 */
export function runEventLogContract(name: string, open: () => Promise<EventLogUnderTest>): void {
  async function withLog(test: (log: EventLog, t: EventLogUnderTest) => Promise<void>): Promise<void> {
    const underTest = await open();
    try {
      await test(underTest.log, underTest);
    } finally {
      await underTest.cleanup();
    }
  }

  describe(`EventLog contract: ${name}`, () => {
    it('creates topics; the same partition count again is a no-op, another is LOG_TOPIC_CONFLICT', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 3 });
        await log.createTopic('t', { partitions: 3 });
        await log.append('t', [makeRecord('k', 1)]);
        await log.createTopic('t', { partitions: 3 });
        assert.equal((await log.offsets('t', log.partitionFor('t', 'k'))).end, 1);
        await assert.rejects(log.createTopic('t', { partitions: 4 }), { code: LOG_ERRORS.topicConflict });
      }));

    it('fails with LOG_UNKNOWN_TOPIC on every operation on a topic that was never created', () =>
      withLog(async (log) => {
        await log.createTopic('known', { partitions: 1 });
        const code = LOG_ERRORS.unknownTopic;
        assert.throws(() => log.partitionFor('nope', 'k'), { code });
        await assert.rejects(log.append('nope', [makeRecord('k', 1)]), { code });
        await assert.rejects(log.read('nope', 0, 0), { code });
        await assert.rejects(log.offsets('nope', 0), { code });
        await assert.rejects(log.waitFor('nope', 0, 0, 10), { code });
        await assert.rejects(log.commitOffset('g', 'nope', 0, 1), { code });
        await assert.rejects(log.committedOffset('g', 'nope', 0), { code });
      }));

    it('fails with LOG_BAD_PARTITION for a partition the topic does not have', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 2 });
        for (const partition of [-1, 2, 1.5]) {
          const code = LOG_ERRORS.badPartition;
          await assert.rejects(log.read('t', partition, 0), { code });
          await assert.rejects(log.offsets('t', partition), { code });
          await assert.rejects(log.waitFor('t', partition, 0, 10), { code });
          await assert.rejects(log.commitOffset('g', 't', partition, 0), { code });
        }
      }));

    it('fails with LOG_INVALID_ARGUMENT for bad topic configs and offsets', () =>
      withLog(async (log) => {
        const code = LOG_ERRORS.invalidArgument;
        await assert.rejects(log.createTopic('t', { partitions: 0 }), { code });
        await log.createTopic('t', { partitions: 1 });
        await assert.rejects(log.read('t', 0, -1), { code });
        await assert.rejects(log.commitOffset('g', 't', 0, -5), { code });
      }));

    it('gives consecutive offsets from 0 in call order, one ack per record in record order', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 1 });
        assert.deepEqual(await log.offsets('t', 0), { start: 0, end: 0 });
        assert.deepEqual(await log.append('t', []), []);
        const first = await log.append('t', makeRecords(new Prng(1), 3, 'a'));
        const second = await log.append('t', makeRecords(new Prng(2), 2, 'b'));
        assert.deepEqual(
          [...first, ...second],
          [0, 1, 2, 3, 4].map((offset) => ({ partition: 0, offset })),
        );
        assert.deepEqual(await log.offsets('t', 0), { start: 0, end: 5 });
      }));

    it('partitions by FNV-1a 32 of the key mod the partition count, and appends follow it', () =>
      withLog(async (log) => {
        assert.equal(fnv1a32(''), 0x811c9dc5);
        assert.equal(fnv1a32('a'), 0xe40c292c);
        assert.equal(fnv1a32('foobar'), 0xbf9cf968);
        await log.createTopic('t', { partitions: 4 });
        const records = Array.from({ length: 200 }, (_, i) => makeRecord(`binance:SYM${i}-USDT`, i));
        records.push(makeRecord('kraken:ÉTH-€UR', 200));
        const acks = await log.append('t', records);
        const seen = new Set<number>();
        const next = [0, 0, 0, 0];
        records.forEach((record, i) => {
          const partition = log.partitionFor('t', record.key);
          assert.equal(partition, fnv1a32(record.key) % 4);
          assert.equal(log.partitionFor('t', record.key), partition);
          assert.deepEqual(acks[i], { partition, offset: next[partition] });
          next[partition] = (next[partition] ?? 0) + 1;
          seen.add(partition);
        });
        assert.equal(seen.size, 4);
        for (let p = 0; p < 4; p++) {
          const stored = await log.read('t', p, 0, { maxRecords: 1000 });
          assert.deepEqual(
            stored.map((r) => r.key),
            records.filter((r) => fnv1a32(r.key) % 4 === p).map((r) => r.key),
          );
        }
      }));

    it('reads records back byte-exact: key, value, ts, partition and offset', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 1 });
        const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) % 251);
        const records: AppendRecord[] = [
          { key: '', value: new Uint8Array(0), ts: 0 },
          { key: 'ünï-cødé ✓', value: new Uint8Array([0, 255, 1, 254]), ts: 1_700_000_000_123 },
          { key: 'big', value: big, ts: -5 },
          { key: 'k', value: new TextEncoder().encode('{"price":1.5}'), ts: Number.MAX_SAFE_INTEGER },
        ];
        await log.append('t', records);
        const stored = await log.read('t', 0, 0, { maxRecords: 10 });
        assert.equal(stored.length, records.length);
        stored.forEach((r, i) => {
          const expected = records[i] as AppendRecord;
          assert.equal(r.partition, 0);
          assert.equal(r.offset, i);
          assert.equal(r.key, expected.key);
          assert.equal(r.ts, expected.ts);
          assert.deepEqual(Buffer.from(r.value), Buffer.from(expected.value));
        });
      }));

    it('does not keep a reference to the appended value buffers', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 1 });
        const value = new Uint8Array([1, 2, 3]);
        await log.append('t', [{ key: 'k', value, ts: 1 }]);
        value[0] = 99;
        const [stored] = await log.read('t', 0, 0);
        assert.deepEqual([...(stored as StoredRecord).value], [1, 2, 3]);
      }));

    it('reads any range across batch and segment boundaries; maxRecords caps it', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 1 });
        const prng = new Prng(7);
        const model = new LogModel();
        const boundaries: number[] = [];
        for (let batch = 0; batch < 60; batch++) {
          boundaries.push(model.end(0));
          const records = makeRecords(prng, 1 + prng.int(97), 'k', 10 + prng.int(300));
          await log.append('t', records);
          model.append(0, records);
        }
        const end = model.end(0);
        const starts = new Set<number>([0, end - 1, end, end + 5]);
        for (const b of boundaries) for (const d of [-1, 0, 1]) if (b + d >= 0) starts.add(b + d);
        for (const from of starts) {
          for (const maxRecords of [1, 2, 97, 1000, 5000]) {
            await checkAgainstModel(log, 't', 0, model, from, maxRecords);
          }
        }
        for (let i = 0; i < 50; i++)
          await checkAgainstModel(log, 't', 0, model, prng.int(end), 1 + prng.int(end));
        assert.deepEqual(await log.read('t', 0, 0, { maxRecords: 0 }), []);
        assert.equal((await log.read('t', 0, 0)).length, 1000, 'maxRecords defaults to 1000');
      }));

    it('keeps the call order of concurrent appends to one partition', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 1 });
        const prng = new Prng(3);
        const calls = Array.from({ length: 100 }, (_, i) => makeRecords(prng, 1 + prng.int(20), `c${i}`));
        const acks = await Promise.all(calls.map((records) => log.append('t', records)));
        let next = 0;
        for (const callAcks of acks) {
          for (const ack of callAcks) assert.deepEqual(ack, { partition: 0, offset: next++ });
        }
        const model = new LogModel();
        for (const records of calls) model.append(0, records);
        await checkAgainstModel(log, 't', 0, model, 0, next + 10);
      }));

    it('matches an in-memory model under random appends and reads on several partitions', () =>
      withLog(async (log) => {
        await log.createTopic('m', { partitions: 3 });
        const prng = new Prng(11);
        const model = new LogModel();
        const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
        for (let step = 0; step < 150; step++) {
          if (prng.int(3) > 0) {
            const records = Array.from({ length: 1 + prng.int(40) }, () =>
              makeRecord(keys[prng.int(keys.length)] as string, prng.int(1e9), prng.int(200)),
            );
            const acks = await log.append('m', records);
            records.forEach((record, i) => {
              const partition = log.partitionFor('m', record.key);
              assert.deepEqual(acks[i], { partition, offset: model.end(partition) });
              model.append(partition, [record]);
            });
          } else {
            const partition = prng.int(3);
            const from = prng.int(model.end(partition) + 3);
            await checkAgainstModel(log, 'm', partition, model, from, 1 + prng.int(60));
          }
        }
        for (let p = 0; p < 3; p++)
          assert.deepEqual(await log.offsets('m', p), { start: 0, end: model.end(p) });
      }));

    it('waitFor: true at once for a readable offset, true when a later append makes it readable, false on timeout', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 1 });
        assert.equal(await log.waitFor('t', 0, 0, 20), false);
        await log.append('t', [makeRecord('k', 1)]);
        assert.equal(await log.waitFor('t', 0, 0, 0), true);
        const soon = log.waitFor('t', 0, 1, 10_000);
        const far = log.waitFor('t', 0, 5, 300);
        setTimeout(() => void log.append('t', [makeRecord('k', 2)]), 10);
        assert.equal(await soon, true);
        assert.equal(await far, false);
        const later = log.waitFor('t', 0, 5, 10_000);
        await log.append('t', makeRecords(new Prng(5), 4, 'k'));
        assert.equal(await later, true);
        assert.equal((await log.read('t', 0, 5)).length, 1);
      }));

    it('commits and returns consumer offsets per group, topic and partition', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 2 });
        await log.createTopic('u', { partitions: 1 });
        assert.equal(await log.committedOffset('g', 't', 0), undefined);
        await log.commitOffset('g', 't', 0, 10);
        await log.commitOffset('g', 't', 1, 20);
        await log.commitOffset('h', 't', 0, 30);
        await log.commitOffset('g', 'u', 0, 40);
        assert.equal(await log.committedOffset('g', 't', 0), 10);
        assert.equal(await log.committedOffset('g', 't', 1), 20);
        assert.equal(await log.committedOffset('h', 't', 0), 30);
        assert.equal(await log.committedOffset('h', 't', 1), undefined);
        assert.equal(await log.committedOffset('g', 'u', 0), 40);
        await log.commitOffset('g', 't', 0, 3);
        assert.equal(await log.committedOffset('g', 't', 0), 3, 'a commit may move back (rewind)');
        await Promise.all(Array.from({ length: 20 }, (_, i) => log.commitOffset('g', 't', 1, 100 + i)));
        assert.equal(await log.committedOffset('g', 't', 1), 119);
      }));

    it('time retention deletes expired records, moves start up and keeps unexpired ones', () =>
      withLog(async (log) => {
        const now = Date.now();
        const retention = { retentionMs: HOUR_MS };
        await log.createTopic('old', { partitions: 1, ...retention });
        await log.createTopic('mixed', { partitions: 1, ...retention });
        await log.createTopic('forever', { partitions: 1 });
        const prng = new Prng(9);
        for (let i = 0; i < 40; i++) {
          const records = makeRecords(prng, 20, 'k', 200, now - 3 * HOUR_MS);
          await log.append('old', records);
          await log.append('mixed', records);
          await log.append('forever', records);
        }
        const model = new LogModel();
        for (let i = 0; i < 10; i++) {
          const records = makeRecords(prng, 20, 'k', 200, now);
          await log.append('mixed', records);
          model.append(0, records);
        }
        const deleted = await log.applyRetention(now);
        const old = await log.offsets('old', 0);
        const mixed = await log.offsets('mixed', 0);
        assert.deepEqual(old, { start: 800, end: 800 });
        assert.ok(mixed.start > 0 && mixed.start <= 800, `mixed start ${mixed.start}`);
        assert.equal(mixed.end, 1000);
        assert.equal(deleted, old.start + mixed.start);
        assert.deepEqual(await log.offsets('forever', 0), { start: 0, end: 800 });
        assert.deepEqual(await log.read('old', 0, 0), []);
        const fromZero = await log.read('mixed', 0, 0, { maxRecords: 5000 });
        assert.equal(fromZero[0]?.offset, mixed.start);
        const fresh = fromZero.filter((r) => r.offset >= 800);
        assert.deepEqual(
          fresh.map((r) => Buffer.from(r.value).toString('base64')),
          model.records(0).map((r) => Buffer.from(r.value).toString('base64')),
        );
        const [ack] = await log.append('old', [makeRecord('k', 1, 10, now)]);
        assert.deepEqual(ack, { partition: 0, offset: 800 });
        assert.equal(await log.applyRetention(now), 0);
      }));

    it('size retention drops the oldest records of a partition over retentionBytes', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 1, retentionBytes: 64 * 1024 });
        const prng = new Prng(13);
        const model = new LogModel();
        for (let i = 0; i < 100; i++) {
          const records = makeRecords(prng, 10, 'k', 1000);
          await log.append('t', records);
          model.append(0, records);
        }
        await log.applyRetention(Date.now());
        const { start, end } = await log.offsets('t', 0);
        assert.ok(start > 0, 'start moved up');
        assert.equal(end, 1000);
        await checkAgainstModel(log, 't', 0, model, start, 5000);
      }));

    it('keeps topics, records and committed offsets across a reopen', async (t) => {
      const underTest = await open();
      if (underTest.reopen === undefined) {
        await underTest.cleanup();
        t.skip('the adapter has no durable storage');
        return;
      }
      try {
        const config = { partitions: 3, retentionMs: HOUR_MS };
        await underTest.log.createTopic('t', config);
        const prng = new Prng(21);
        const records = Array.from({ length: 500 }, (_, i) =>
          makeRecord(`k${i % 17}`, prng.int(1e9), prng.int(300)),
        );
        await underTest.log.append('t', records);
        await underTest.log.commitOffset('g', 't', 2, 7);
        await underTest.log.close();
        const log = await underTest.reopen();
        const model = new LogModel();
        for (const record of records) model.append(log.partitionFor('t', record.key), [record]);
        for (let p = 0; p < 3; p++) {
          assert.deepEqual(await log.offsets('t', p), { start: 0, end: model.end(p) });
          await checkAgainstModel(log, 't', p, model, 0, 1000);
        }
        assert.equal(await log.committedOffset('g', 't', 2), 7);
        const [ack] = await log.append('t', [makeRecord('k0', 1)]);
        assert.deepEqual(ack, {
          partition: log.partitionFor('t', 'k0'),
          offset: model.end(log.partitionFor('t', 'k0')),
        });
        await log.createTopic('t', config);
        await assert.rejects(log.createTopic('t', { partitions: 2 }), { code: LOG_ERRORS.topicConflict });
      } finally {
        await underTest.cleanup();
      }
    });

    it('fails with LOG_CLOSED after close, wakes pending waitFor with false, closes twice fine', () =>
      withLog(async (log) => {
        await log.createTopic('t', { partitions: 1 });
        await log.append('t', [makeRecord('k', 1)]);
        const waiting = log.waitFor('t', 0, 1, 60_000);
        await log.close();
        assert.equal(await waiting, false);
        await log.close();
        const code = LOG_ERRORS.closed;
        await assert.rejects(log.createTopic('t', { partitions: 1 }), { code });
        assert.throws(() => log.partitionFor('t', 'k'), { code });
        await assert.rejects(log.append('t', [makeRecord('k', 1)]), { code });
        await assert.rejects(log.read('t', 0, 0), { code });
        await assert.rejects(log.offsets('t', 0), { code });
        await assert.rejects(log.waitFor('t', 0, 0, 10), { code });
        await assert.rejects(log.commitOffset('g', 't', 0, 1), { code });
        await assert.rejects(log.committedOffset('g', 't', 0), { code });
        await assert.rejects(log.applyRetention(Date.now()), { code });
      }));
  });
}
