import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isCryptoLambdaError } from '../../src/domain/index.js';
import {
  type CandleOperatorState,
  checkOperatorState,
  createCandleOperator,
  readCheckpoint,
  SPEED_ERRORS,
  writeCheckpoint,
} from '../../src/speed/index.js';
import { DAY0, trade } from './helpers.js';

describe('checkpoint file', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'speed-checkpoint-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads undefined when there is no checkpoint', async () => {
    assert.equal(await readCheckpoint(join(dir, 'absent.json')), undefined);
  });

  it('writes atomically, replaces, and leaves no temporary file', async () => {
    const path = join(dir, 'a.json');
    await writeCheckpoint(path, { offsets: [1, 2], note: 'first' });
    await writeCheckpoint(path, { offsets: [3, 4], note: 'second' });
    assert.deepEqual(await readCheckpoint(path), { offsets: [3, 4], note: 'second' });
    assert.deepEqual(await readdir(dir), ['a.json']);
  });

  it('carries an operator snapshot that restores exactly', async () => {
    const op = createCandleOperator();
    const emit = (): void => {};
    for (let i = 0; i < 50; i++)
      op.process(trade({ ts: DAY0 + i * 7001, price: 0.1 * (1 + (i % 3)), qty: 0.3 }), emit);
    const path = join(dir, 'op.json');
    await writeCheckpoint(path, op.snapshot());
    const isState = (v: unknown): v is CandleOperatorState => {
      checkOperatorState(v);
      return true;
    };
    const state = await readCheckpoint(path, isState);
    assert.ok(state !== undefined);
    const restored = createCandleOperator();
    restored.restore(state);
    assert.deepEqual(restored.snapshot(), op.snapshot());
  });

  it('fails with SPEED_CHECKPOINT_CORRUPT on a truncated or foreign file', async () => {
    const path = join(dir, 'bad.json');
    await writeCheckpoint(path, { a: [1, 2, 3] });
    const text = await readFile(path, 'utf8');
    for (const content of [text.slice(0, text.length - 3), '', '{"a":1}', 'null']) {
      await writeFile(path, content);
      await assert.rejects(readCheckpoint(path), (e) =>
        isCryptoLambdaError(e, SPEED_ERRORS.checkpointCorrupt),
      );
    }
    await writeCheckpoint(path, { a: 1 });
    await assert.rejects(
      readCheckpoint(path, (v): v is string => typeof v === 'string'),
      (e) => isCryptoLambdaError(e, SPEED_ERRORS.checkpointCorrupt),
    );
  });

  it('fails with a retryable SPEED_CHECKPOINT_IO when the directory is missing', async () => {
    await assert.rejects(writeCheckpoint(join(dir, 'no', 'such', 'c.json'), {}), (e) => {
      return isCryptoLambdaError(e, SPEED_ERRORS.checkpointIo) && e.retryable;
    });
  });
});
