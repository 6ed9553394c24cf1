import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCryptoLambdaError } from '../../src/domain/index.js';
import { openCheckpointStore, SPEED_ERRORS } from '../../src/speed/index.js';

interface Doc {
  n: number;
  parts: Record<string, string>;
}
const merge = (base: Doc, change: Doc): Doc => ({ n: change.n, parts: { ...base.parts, ...change.parts } });

describe('incremental checkpoint store', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'speed-store-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a snapshot first, then appends changes, and loads their fold', async () => {
    const path = join(dir, 'a', 'checkpoint.json');
    await rm(join(dir, 'a'), { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(join(dir, 'a')));
    const store = openCheckpointStore<Doc>(path);
    assert.equal(await store.load(merge), undefined);
    let state: Doc = { n: 0, parts: { a: 'a0', b: 'b0' } };
    await store.save(state, () => state);
    for (let i = 1; i <= 5; i++) {
      const change: Doc = { n: i, parts: { [`k${i % 3}`]: `v${i}` } };
      state = merge(state, change);
      await store.save(change, () => state);
    }
    assert.deepEqual((await readdir(join(dir, 'a'))).sort(), ['checkpoint.1.delta', 'checkpoint.json']);
    assert.deepEqual(await openCheckpointStore<Doc>(path).load(merge), state);
  });

  it('drops a torn last change and appends after the whole ones', async () => {
    const path = join(dir, 'torn.json');
    const store = openCheckpointStore<Doc>(path);
    const base: Doc = { n: 0, parts: { a: '0' } };
    await store.save(base, () => base);
    await store.save({ n: 1, parts: { a: '1' } }, () => base);
    const delta = join(dir, 'torn.1.delta');
    const whole = (await stat(delta)).size;
    await store.save({ n: 2, parts: { a: '2' } }, () => base);
    await truncate(delta, (await stat(delta)).size - 3);
    const reopened = openCheckpointStore<Doc>(path);
    assert.deepEqual(await reopened.load(merge), { n: 1, parts: { a: '1' } });
    assert.equal((await stat(delta)).size, whole, 'the torn change is cut off');
    await reopened.save({ n: 3, parts: { b: '3' } }, () => base);
    assert.deepEqual(await openCheckpointStore<Doc>(path).load(merge), { n: 3, parts: { a: '1', b: '3' } });
  });

  it('refuses a damaged change that has whole changes after it', async () => {
    const path = join(dir, 'bad.json');
    const store = openCheckpointStore<Doc>(path);
    const base: Doc = { n: 0, parts: {} };
    await store.save(base, () => base);
    for (let i = 1; i <= 3; i++) await store.save({ n: i, parts: { x: 'y'.repeat(40) } }, () => base);
    const delta = join(dir, 'bad.1.delta');
    const bytes = await readFile(delta);
    bytes[20] = (bytes[20] ?? 0) ^ 0xff;
    await writeFile(delta, bytes);
    await assert.rejects(
      openCheckpointStore<Doc>(path).load(merge),
      (e) => isCryptoLambdaError(e, SPEED_ERRORS.checkpointCorrupt) && /repair/.test(e.message),
    );
  });

  it('replaces snapshot and changes once the changes outgrow it, and forgets stale generations', async () => {
    const path = join(dir, 'grow.json');
    await writeFile(join(dir, 'grow.7.delta'), 'stale');
    const store = openCheckpointStore<Doc>(path);
    await store.load(merge);
    let state: Doc = { n: 0, parts: {} };
    await store.save(state, () => state);
    // Each change is 0.4 MiB: the changes pass the 1 MiB floor after three.
    for (let i = 1; i <= 4; i++) {
      const change: Doc = { n: i, parts: { [`p${i}`]: 'z'.repeat(400_000) } };
      state = merge(state, change);
      await store.save(change, () => state);
    }
    const names = (await readdir(dir)).filter((n) => n.startsWith('grow'));
    assert.deepEqual(names.sort(), ['grow.json'], 'a new snapshot, no changes, no stale file');
    assert.deepEqual(await openCheckpointStore<Doc>(path).load(merge), state);
    await appendFile(join(dir, 'grow.1.delta'), 'left by a crash before the old changes were removed');
    assert.deepEqual(await openCheckpointStore<Doc>(path).load(merge), state);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.startsWith('grow')),
      ['grow.json'],
    );
  });
});
