import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { endWorker } from '../../src/domain/index.js';

/**
 * A thread that compresses with Brotli without pause, a slice per turn of its event loop, and
 * lets go of its port when told to stop: the shape of the ingest worker, in a few lines.
 */
const COMPRESSING = `
const { parentPort } = require('node:worker_threads');
const { brotliCompressSync, constants } = require('node:zlib');
const body = Buffer.alloc(20000, 'crypto-lambda');
let stopped = false;
parentPort.on('message', () => { stopped = true; parentPort.close(); });
(function slice() {
  for (let i = 0; i < 20 && !stopped; i++) {
    brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 0 } });
  }
  if (!stopped) setImmediate(slice);
})();
`;

function compressing(): Worker {
  return new Worker(COMPRESSING, { eval: true });
}

describe('endWorker', () => {
  // Terminating such a thread instead aborts this whole process (a Node 20 assertion in
  // node_zlib.cc) within a few dozen rounds; the raw-capture test died of it once in CI.
  it('ends a thread busy with zlib by asking, never mid-call, round after round', async () => {
    for (let round = 0; round < 60; round++) {
      const worker = compressing();
      await sleep(20 + Math.random() * 30);
      const how = await endWorker(worker, () => worker.postMessage('stop'), 5000);
      assert.equal(how, 'exited', `round ${round}`);
      assert.equal(worker.threadId, -1);
    }
  });

  it('terminates a thread that does not answer within the grace period', async () => {
    const worker = new Worker('for (;;) {}', { eval: true });
    await sleep(50);
    const startedMs = Date.now();
    assert.equal(await endWorker(worker, () => worker.postMessage('stop'), 200), 'terminated');
    assert.ok(Date.now() - startedMs >= 190, 'waited the grace period first');
    assert.equal(worker.threadId, -1);
  });

  it('has nothing to do for a thread that has exited already', async () => {
    const worker = new Worker('', { eval: true });
    await new Promise((resolve) => worker.once('exit', resolve));
    let asked = false;
    const how = await endWorker(worker, () => (asked = true), 1000);
    assert.equal(how, 'exited');
    assert.equal(asked, false);
  });
});
