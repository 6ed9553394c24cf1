import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { buildServer, type ServeApp } from '../../../src/serve/index.js';
import { candle, createFakeDeps, type FakeDeps, series, T0 } from '../fake-deps.js';

type Frame = Record<string, unknown>;

/** A `ws` client that queues parsed frames so a test can await them one by one. */
async function connect(url: string) {
  const socket = new WebSocket(url);
  const frames: Frame[] = [];
  const waiters: ((frame: Frame) => void)[] = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Frame;
    const waiter = waiters.shift();
    if (waiter === undefined) frames.push(frame);
    else waiter(frame);
  });
  await once(socket, 'open');
  return {
    socket,
    send: (message: unknown) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    next: (timeoutMs = 2_000): Promise<Frame> => {
      const queued = frames.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no frame within timeout')), timeoutMs);
        waiters.push((frame) => {
          clearTimeout(timer);
          resolve(frame);
        });
      });
    },
  };
}

describe('/ws over a real socket', () => {
  let fake: FakeDeps;
  let app: ServeApp;
  let url: string;
  before(async () => {
    fake = createFakeDeps(series(10));
    app = buildServer(fake.deps, { processMetrics: false, dashboard: false, ws: { statusIntervalMs: 20 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    url = `ws://127.0.0.1:${address.port}/ws`;
  });
  after(() => app.close());

  it('sends a snapshot, then updates in order', async () => {
    const client = await connect(url);
    client.send({ op: 'subscribe', channel: 'candles:binance:BTC-USDT:1m', limit: 3 });
    const snapshot = await client.next();
    assert.equal(snapshot['type'], 'snapshot');
    assert.equal(snapshot['channel'], 'candles:binance:BTC-USDT:1m');
    const candles = snapshot['candles'] as { openTime: number; close: number }[];
    assert.deepEqual(
      candles.map((c) => c.openTime),
      [7, 8, 9].map((i) => T0 + i * 60_000),
    );
    assert.deepEqual(candles[2], series(10)[9], 'snapshot candles carry every field, numbers as numbers');
    for (let i = 0; i < 50; i++)
      fake.push(candle({ openTime: T0 + (9 + Math.floor(i / 10)) * 60_000, close: i }));
    for (let i = 0; i < 50; i++) {
      const update = await client.next();
      assert.equal(update['type'], 'update');
      assert.equal(update['channel'], 'candles:binance:BTC-USDT:1m');
      assert.equal((update['candle'] as { close: number }).close, i);
    }
    client.socket.close();
    await once(client.socket, 'close');
  });

  it('answers a bad message with an error and keeps the socket working', async () => {
    const client = await connect(url);
    client.send('this is not json');
    assert.deepEqual(await client.next(), {
      type: 'error',
      code: 'BAD_MESSAGE',
      message: 'message is not valid JSON',
    });
    client.send({ op: 'subscribe', channel: 'candles:binance:NOPE-USDT:1m' });
    const unknown = await client.next();
    assert.equal(unknown['code'], 'UNKNOWN_SYMBOL');
    client.send({ op: 'ping', id: 42 });
    const pong = await client.next();
    assert.equal(pong['type'], 'pong');
    assert.equal(pong['id'], 42);
    assert.equal(typeof pong['ts'], 'number');
    client.send({ op: 'subscribe', channel: 'candles:BTCUSDT:1m', limit: 1 });
    assert.equal((await client.next())['type'], 'snapshot');
    fake.push(candle({ openTime: T0 + 20 * 60_000, close: 7 }));
    const update = await client.next();
    assert.equal((update['candle'] as { close: number }).close, 7);
    assert.equal(client.socket.readyState, WebSocket.OPEN);
    client.socket.close();
    await once(client.socket, 'close');
  });

  it('pushes the status channel', async () => {
    const client = await connect(url);
    client.send({ op: 'subscribe', channel: 'status' });
    assert.deepEqual(await client.next(), { type: 'snapshot', channel: 'status', status: fake.status });
    assert.deepEqual(await client.next(), { type: 'update', channel: 'status', status: fake.status });
    client.send({ op: 'unsubscribe', channel: 'status' });
    // Status updates may already be in flight; the acknowledgement follows them.
    let frame = await client.next();
    while (frame['type'] === 'update') frame = await client.next();
    assert.deepEqual(frame, { type: 'unsubscribed', channel: 'status' });
    client.socket.close();
    await once(client.socket, 'close');
  });

  it('releases live subscriptions when clients disconnect', async () => {
    const client = await connect(url);
    client.send({ op: 'subscribe', channel: 'candles:binance:BTC-USDT:1m', limit: 1 });
    await client.next();
    assert.equal(fake.liveListeners(), 1);
    client.socket.terminate();
    for (let i = 0; i < 100 && fake.liveListeners() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fake.liveListeners(), 0);
  });

  it('closes a client that sends a frame over the payload limit', async () => {
    const client = await connect(url);
    client.send(JSON.stringify({ op: 'ping', pad: 'x'.repeat(5_000) }));
    const [code] = (await once(client.socket, 'close')) as [number];
    assert.equal(code, 1009);
  });

  it('closes a client that stops reading, while a reading client keeps up', async () => {
    const small = buildServer(fake.deps, {
      processMetrics: false,
      dashboard: false,
      ws: { coalesceAboveBytes: 16_384, closeAboveBytes: 65_536 },
    });
    await small.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = small.server.address();
      assert.ok(address !== null && typeof address === 'object');
      const smallUrl = `ws://127.0.0.1:${address.port}/ws`;
      const reader = await connect(smallUrl);
      const stalled = await connect(smallUrl);
      const closed = once(stalled.socket, 'close');
      for (const client of [reader, stalled]) {
        client.send({ op: 'subscribe', channel: 'candles:binance:BTC-USDT:1m', limit: 1 });
        await client.next();
      }
      // The stalled client stops reading; the kernel buffers fill, then ws's, then the sender's queue.
      stalled.socket.pause();
      let received = 0;
      reader.socket.on('message', () => received++);
      const closing = () =>
        [...small.websocketServer.clients].some((c) => c.readyState === WebSocket.CLOSING);
      let pushed = 0;
      while (!closing() && pushed < 400_000) {
        for (let i = 0; i < 1_000; i++) fake.push(candle({ openTime: T0 + (100 + pushed++) * 60_000 }));
        await new Promise((resolve) => setImmediate(resolve));
      }
      // Reading again lets the client see the close frame the server sent.
      stalled.socket.resume();
      const [code, reason] = (await closed) as [number, Buffer];
      assert.equal(code, 1008);
      assert.match(reason.toString(), /^slow_consumer: /);
      assert.ok(received > 0, 'the reading client kept receiving');
      reader.socket.close();
    } finally {
      await small.close();
    }
  });
});
