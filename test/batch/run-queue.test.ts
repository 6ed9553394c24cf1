import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRunQueue } from '../../src/batch/run-queue.js';

/** A run that records its start and finishes when told to. */
function gate(log: string[], name: string) {
  let finish: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const run = () => {
    log.push(`start ${name}`);
    return new Promise<string>((resolve, reject) => {
      finish = () => {
        log.push(`end ${name}`);
        resolve(name);
      };
      fail = (error) => {
        log.push(`fail ${name}`);
        reject(error);
      };
    });
  };
  return { run, finish: () => finish(), fail: (e: Error) => fail(e) };
}

/** Lets every settled promise's callbacks run. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('run queue', () => {
  it('with one lane runs one at a time, in the order queued', async () => {
    const log: string[] = [];
    const queue = createRunQueue(1);
    const a1 = gate(log, 'a 1');
    const b2 = gate(log, 'b 2');
    const c1 = gate(log, 'c 1');
    const done = [
      queue.add('a', '1', [], a1.run),
      queue.add('b', '2', [], b2.run),
      queue.add('c', '1', [], c1.run),
    ];
    await flush();
    assert.deepEqual(log, ['start a 1']);
    a1.finish();
    await flush();
    assert.deepEqual(log, ['start a 1', 'end a 1', 'start b 2']);
    b2.finish();
    await flush();
    c1.finish();
    assert.deepEqual(await Promise.all(done), ['a 1', 'b 2', 'c 1']);
    assert.deepEqual(log.slice(-3), ['end b 2', 'start c 1', 'end c 1']);
  });

  it('with two lanes overlaps days, keeping each job in day order and each day in DAG order', async () => {
    const log: string[] = [];
    const queue = createRunQueue(2);
    // Day 1: q → c; day 2: q → c. c of day 2 reads c of day 1.
    const q1 = gate(log, 'q 1');
    const c1 = gate(log, 'c 1');
    const q2 = gate(log, 'q 2');
    const c2 = gate(log, 'c 2');
    const x2 = gate(log, 'x 2');
    const done = [
      queue.add('q', '1', [], q1.run),
      queue.add('c', '1', ['q'], c1.run),
      queue.add('q', '2', [], q2.run),
      queue.add('c', '2', ['q'], c2.run),
      queue.add('x', '2', [], x2.run),
    ];
    await flush();
    assert.deepEqual(log, ['start q 1', 'start x 2'], 'q 2 waits for q 1; two lanes busy');
    q1.finish();
    await flush();
    assert.deepEqual(log.slice(2), ['end q 1', 'start c 1'], 'q 2 waits for a free lane');
    x2.finish();
    await flush();
    assert.deepEqual(log.slice(4), ['end x 2', 'start q 2']);
    q2.finish();
    await flush();
    assert.deepEqual(log.slice(6), ['end q 2'], 'c 2 waits for c 1 though its lane is free');
    c1.finish();
    await flush();
    assert.deepEqual(log.slice(7), ['end c 1', 'start c 2']);
    c2.finish();
    assert.deepEqual(await Promise.all(done), ['q 1', 'c 1', 'q 2', 'c 2', 'x 2']);
    await queue.settled();
  });

  it('a run that throws rejects its own promise only; settled() waits for every run', async () => {
    const log: string[] = [];
    const queue = createRunQueue(2);
    const a1 = gate(log, 'a 1');
    const b1 = gate(log, 'b 1');
    const a2 = gate(log, 'a 2');
    const failed = queue.add('a', '1', [], a1.run);
    const after = [queue.add('b', '1', ['a'], b1.run), queue.add('a', '2', [], a2.run)];
    let settled = false;
    const all = queue.settled().then(() => {
      settled = true;
    });
    await flush();
    a1.fail(new Error('history not written'));
    await assert.rejects(failed, /history not written/);
    await flush();
    assert.deepEqual(log, ['start a 1', 'fail a 1', 'start b 1', 'start a 2']);
    b1.finish();
    await flush();
    assert.equal(settled, false);
    a2.finish();
    assert.deepEqual(await Promise.all(after), ['b 1', 'a 2']);
    await all;
    assert.equal(settled, true);
  });

  it('useLanes narrows the lanes for the runs that start next, and widening starts the waiting ones', async () => {
    const log: string[] = [];
    const queue = createRunQueue(2);
    queue.useLanes(1);
    const a = gate(log, 'a 1');
    const b = gate(log, 'b 1');
    const c = gate(log, 'c 1');
    const done = [
      queue.add('a', '1', [], a.run),
      queue.add('b', '1', [], b.run),
      queue.add('c', '1', [], c.run),
    ];
    await flush();
    assert.deepEqual(log, ['start a 1']);
    queue.useLanes(2);
    await flush();
    assert.deepEqual(log, ['start a 1', 'start b 1']);
    queue.useLanes(1);
    a.finish();
    await flush();
    assert.deepEqual(log.slice(2), ['end a 1'], 'one lane again: c waits for b');
    b.finish();
    await flush();
    c.finish();
    assert.deepEqual(await Promise.all(done), ['a 1', 'b 1', 'c 1']);
    assert.deepEqual(log.slice(3), ['end b 1', 'start c 1', 'end c 1']);
  });
});
