import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createSender,
  type SenderOptions,
  SLOW_CONSUMER_CLOSE_CODE,
  type SocketLike,
} from '../../../src/serve/ws/sender.js';

/** A socket whose buffer the test controls: nothing drains until the test says so. */
function fakeSocket() {
  const socket = {
    bufferedAmount: 0,
    readyState: 1,
    sent: [] as string[],
    closed: undefined as { code: number; reason: string } | undefined,
    send(data: string) {
      this.sent.push(data);
      this.bufferedAmount += data.length;
    },
    close(code: number, reason: string) {
      this.closed = { code, reason };
      this.readyState = 2;
    },
    drain() {
      this.bufferedAmount = 0;
    },
  };
  return socket satisfies SocketLike;
}

const limits = (overrides: Partial<SenderOptions> = {}): SenderOptions => ({
  coalesceAboveBytes: 10,
  closeAboveBytes: 100,
  maxPendingFrames: 50,
  stallTimeoutMs: 1_000,
  // Long enough that the timer never fires during a test: flushes are driven by hand.
  drainCheckMs: 60_000,
  ...overrides,
});

describe('createSender', () => {
  it('writes at once while the socket buffer is below the threshold', () => {
    const socket = fakeSocket();
    const sender = createSender(socket, limits({ coalesceAboveBytes: 100 }));
    sender.update('a|1', 'one');
    sender.control('two');
    sender.update('a|1', 'three');
    assert.deepEqual(socket.sent, ['one', 'two', 'three']);
    assert.equal(sender.pendingFrames, 0);
    sender.dispose();
  });

  it('coalesces updates per key while the buffer is over the threshold, keeping order, then sends when drained', () => {
    const socket = fakeSocket();
    let coalesced = 0;
    const sender = createSender(socket, limits(), { onCoalesced: () => coalesced++ });
    sender.update('c|1', 'first-frame'); // 11 bytes: now over the 10-byte threshold
    sender.update('c|1', 'c1-v2');
    sender.update('c|2', 'c2-v1');
    sender.control('ctl-a');
    sender.update('c|1', 'c1-v3');
    sender.control('ctl-b');
    sender.update('c|2', 'c2-v2');
    assert.deepEqual(socket.sent, ['first-frame']);
    assert.equal(sender.pendingFrames, 4);
    assert.equal(coalesced, 2);
    assert.equal(sender.pendingBytes, 'c1-v3c2-v2ctl-actl-b'.length);

    sender.flush();
    assert.deepEqual(socket.sent, ['first-frame'], 'still over the threshold: nothing written');
    socket.drain();
    sender.flush();
    // c|1 keeps its first place but carries its latest value; control frames are never merged.
    // Writing stops once the buffer passes the threshold again (5 + 5 + 5 bytes > 10).
    assert.deepEqual(socket.sent, ['first-frame', 'c1-v3', 'c2-v2', 'ctl-a']);
    socket.drain();
    sender.flush();
    assert.deepEqual(socket.sent.slice(4), ['ctl-b']);
    assert.equal(sender.pendingFrames, 0);
    assert.equal(sender.pendingBytes, 0);
    assert.equal(socket.closed, undefined);
    sender.dispose();
  });

  it('closes the client when waiting bytes exceed the hard limit, and then sends nothing', () => {
    const socket = fakeSocket();
    let slow = '';
    const sender = createSender(socket, limits({ closeAboveBytes: 30 }), { onSlowClose: (r) => (slow = r) });
    sender.control('x'.repeat(20)); // written; buffer over the threshold
    for (let i = 0; i < 3; i++) sender.update(`k|${i}`, 'y'.repeat(12));
    assert.equal(sender.closed, true);
    assert.equal(socket.closed?.code, SLOW_CONSUMER_CLOSE_CODE);
    assert.match(socket.closed?.reason ?? '', /^slow_consumer: /);
    assert.match(slow, /bytes waiting/);
    assert.equal(sender.pendingFrames, 0, 'waiting frames are dropped');
    socket.drain();
    sender.update('k|9', 'late');
    sender.flush();
    assert.equal(socket.sent.length, 1);
  });

  it('closes the client when too many frames wait, however small', () => {
    const socket = fakeSocket();
    const sender = createSender(socket, limits({ maxPendingFrames: 3 }));
    sender.control('x'.repeat(20));
    for (let i = 0; i < 3; i++) sender.update(`k|${i}`, 'y');
    assert.equal(sender.closed, false);
    sender.update('k|3', 'y');
    assert.equal(sender.closed, true);
    assert.match(socket.closed?.reason ?? '', /frames waiting/);
  });

  it('bounds memory under an endless stream to a slow client by coalescing', () => {
    const socket = fakeSocket();
    const sender = createSender(socket, limits({ closeAboveBytes: 10_000 }));
    socket.bufferedAmount = 1_000;
    for (let i = 0; i < 100_000; i++) sender.update(`candles:x|${i % 5}`, `{"n":${i}}`);
    assert.equal(sender.pendingFrames, 5);
    assert.equal(sender.closed, false);
    socket.drain();
    socket.bufferedAmount = 0;
    for (let i = 0; i < 5; i++) {
      socket.drain();
      sender.flush();
    }
    assert.deepEqual(
      socket.sent,
      [99_995, 99_996, 99_997, 99_998, 99_999].map((n) => `{"n":${n}}`),
    );
    sender.dispose();
  });

  it('closes a client that does not drain for the stall timeout', () => {
    const socket = fakeSocket();
    let nowMs = 0;
    const sender = createSender(socket, limits({ stallTimeoutMs: 1_000, now: () => nowMs }));
    sender.control('x'.repeat(20));
    nowMs = 500;
    sender.update('k|1', 'y');
    nowMs = 1_400;
    sender.flush();
    assert.equal(sender.closed, false, 'waiting for 900 ms only');
    nowMs = 1_500;
    sender.flush();
    assert.equal(sender.closed, true);
    assert.match(socket.closed?.reason ?? '', /no drain/);
  });

  it('flushes by itself once the socket drains', async () => {
    const socket = fakeSocket();
    const sender = createSender(socket, limits({ drainCheckMs: 5 }));
    sender.control('x'.repeat(20));
    sender.update('k|1', 'y');
    socket.drain();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(socket.sent, ['x'.repeat(20), 'y']);
    sender.dispose();
  });

  it('stops writing once the socket is no longer open', () => {
    const socket = fakeSocket();
    const sender = createSender(socket, limits({ coalesceAboveBytes: 100 }));
    socket.readyState = 3;
    sender.update('k|1', 'y');
    assert.deepEqual(socket.sent, []);
    assert.equal(sender.closed, true);
  });
});
