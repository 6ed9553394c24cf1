import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyBaseLogger } from 'fastify';
import { DEFAULT_WS_OPTIONS, type WsOptions } from '../../../src/serve/index.js';
import { SNAPSHOT_SLICE } from '../../../src/serve/ws/channels.js';
import { createHub } from '../../../src/serve/ws/hub.js';
import { candle, createFakeBatch, createFakeDeps, series, T0 } from '../fake-deps.js';

const silent = { warn() {}, error() {}, debug() {} } as unknown as FastifyBaseLogger;

function fakeSocket() {
  return {
    bufferedAmount: 0,
    readyState: 1,
    frames: [] as Record<string, unknown>[],
    raw: [] as string[],
    closed: undefined as { code: number; reason: string } | undefined,
    send(data: string) {
      this.raw.push(data);
      this.frames.push(JSON.parse(data));
    },
    close(code: number, reason: string) {
      this.closed = { code, reason };
      this.readyState = 2;
    },
  };
}

function setup(ws: Partial<WsOptions> = {}) {
  const fake = createFakeDeps([...series(5), ...series(2, { venue: 'bybit' })]);
  const hub = createHub(fake.deps, { ...DEFAULT_WS_OPTIONS, ...ws }, silent, 'binance');
  return { fake, hub };
}

const CHANNEL = 'candles:binance:BTC-USDT:1m';

describe('createHub', () => {
  it('answers a subscription with a snapshot, then every update in order', () => {
    const { fake, hub } = setup();
    const socket = fakeSocket();
    const connection = hub.connect(socket);
    connection.receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL, limit: 2, id: 1 }));
    assert.equal(socket.frames.length, 1);
    const snapshot = socket.frames[0] as {
      type: string;
      channel: string;
      id: number;
      candles: { openTime: number }[];
    };
    assert.equal(snapshot.type, 'snapshot');
    assert.equal(snapshot.channel, CHANNEL);
    assert.equal(snapshot.id, 1);
    assert.deepEqual(
      snapshot.candles.map((c) => c.openTime),
      [T0 + 3 * 60_000, T0 + 4 * 60_000],
    );
    fake.push(candle({ openTime: T0 + 4 * 60_000, close: 1, state: 'open' }));
    fake.push(candle({ openTime: T0 + 5 * 60_000, close: 2, state: 'open' }));
    fake.push(candle({ venue: 'bybit', openTime: T0 + 5 * 60_000 }));
    assert.deepEqual(
      socket.frames.slice(1).map((f) => [f['type'], f['channel'], (f['candle'] as { close: number }).close]),
      [
        ['update', CHANNEL, 1],
        ['update', CHANNEL, 2],
      ],
    );
    hub.close();
  });

  it('shares one feed subscription and one serialization per update among clients', () => {
    const { fake, hub } = setup();
    const sockets = [fakeSocket(), fakeSocket(), fakeSocket()];
    const connections = sockets.map((s) => hub.connect(s));
    // The short form and the dashless symbol resolve to the same canonical channel.
    connections[0]?.receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL }));
    connections[1]?.receive(JSON.stringify({ op: 'subscribe', channel: 'candles:BTCUSDT:1m' }));
    connections[2]?.receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL }));
    connections[2]?.receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL }));
    assert.equal(fake.liveListeners(), 1);
    assert.equal(sockets[1]?.frames[0]?.['channel'], CHANNEL);
    const before = hub.stats().framesSerialized;
    fake.push(candle({ openTime: T0 + 9 * 60_000 }));
    assert.equal(hub.stats().framesSerialized - before, 1);
    const updates = sockets.map((s) => s.raw.filter((r) => r.includes('"type":"update"')));
    assert.deepEqual(
      updates.map((u) => u.length),
      [1, 1, 1],
      'subscribing twice does not duplicate updates',
    );
    assert.equal(updates[0]?.[0], updates[1]?.[0]);

    connections[0]?.close();
    connections[1]?.receive(JSON.stringify({ op: 'unsubscribe', channel: CHANNEL }));
    assert.deepEqual(sockets[1]?.frames.at(-1), { type: 'unsubscribed', channel: CHANNEL });
    assert.equal(fake.liveListeners(), 1);
    connections[2]?.receive(JSON.stringify({ op: 'unsubscribe', channel: 'candles:BTC-USDT:1m' }));
    assert.equal(fake.liveListeners(), 0, 'the last subscriber leaving releases the feed');
    assert.equal(hub.stats().channels, 0);
    hub.close();
  });

  it('answers bad messages with errors and keeps serving the connection', () => {
    const { hub } = setup({ maxSubscriptions: 2 });
    const socket = fakeSocket();
    const connection = hub.connect(socket);
    const send = (message: unknown) =>
      connection.receive(typeof message === 'string' ? message : JSON.stringify(message));
    send('{oops');
    send({ op: 'jump' });
    send({ op: 'subscribe', channel: 'candles:binance:BTC-USDT:7m' });
    send({ op: 'subscribe', channel: 'candles:binance:DOGE-USDT:1m' });
    send({ op: 'subscribe', channel: 'candles:kraken:BTC-USDT:1m' });
    send({ op: 'subscribe', channel: CHANNEL });
    send({ op: 'subscribe', channel: 'candles:bybit:BTC-USDT:1m' });
    send({ op: 'subscribe', channel: 'status' });
    send({ op: 'ping', id: 'p' });
    assert.deepEqual(
      socket.frames.map((f) => f['code'] ?? f['type']),
      [
        'BAD_MESSAGE',
        'UNKNOWN_OP',
        'INVALID_CHANNEL',
        'UNKNOWN_SYMBOL',
        'UNKNOWN_VENUE',
        'snapshot',
        'snapshot',
        'TOO_MANY_SUBSCRIPTIONS',
        'pong',
      ],
    );
    for (const frame of socket.frames.filter((f) => f['type'] === 'error')) {
      assert.equal(typeof frame['message'], 'string');
    }
    assert.equal(socket.frames.at(-1)?.['id'], 'p');
    assert.equal(socket.closed, undefined);
    hub.close();
  });

  it('pushes the status channel periodically, serialized once for all subscribers', async () => {
    const { fake, hub } = setup({ statusIntervalMs: 5 });
    const sockets = [fakeSocket(), fakeSocket()];
    for (const socket of sockets) hub.connect(socket).receive('{"op":"subscribe","channel":"status"}');
    assert.deepEqual(sockets[0]?.frames[0], { type: 'snapshot', channel: 'status', status: fake.status });
    // Wait for two ticks however busy the machine is (a 5 ms timer can fire late under load).
    const deadline = Date.now() + 5000;
    const updatesOf = (i: number) => sockets[i]?.frames.filter((f) => f['type'] === 'update').length ?? 0;
    while ((updatesOf(0) < 2 || updatesOf(1) < 2) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const socket of sockets) {
      const updates = socket.frames.filter((f) => f['type'] === 'update');
      assert.ok(updates.length >= 2, `${updates.length} status updates`);
      assert.deepEqual(updates[0], { type: 'update', channel: 'status', status: fake.status });
    }
    hub.close();
    const count = sockets[0]?.frames.length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(sockets[0]?.frames.length, count, 'no status after close');
  });

  it('closes a slow client without slowing the others, and releases its subscriptions', async () => {
    const { fake, hub } = setup({ coalesceAboveBytes: 100, closeAboveBytes: 1_000 });
    const fast = fakeSocket();
    const slow = fakeSocket();
    hub.connect(fast).receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL, limit: 1 }));
    hub.connect(slow).receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL, limit: 1 }));
    slow.bufferedAmount = 500;
    for (let i = 0; i < 20; i++) fake.push(candle({ openTime: T0 + (10 + i) * 60_000 }));
    assert.equal(fast.frames.length, 21, 'the fast client got every update');
    assert.equal(slow.closed?.code, 1008);
    assert.equal(hub.stats().slowClosed, 1);
    await Promise.resolve();
    assert.equal(hub.stats().connections, 1);
    assert.equal(fake.liveListeners(), 1);
    hub.close();
  });
});

describe('createHub with a batch layer', () => {
  it('subscribes to a series only the batch views hold, and still refuses one no view holds', async () => {
    const fake = createFakeDeps(series(5));
    fake.deps.batch = createFakeBatch({
      watermarkTs: T0 + 3_600_000,
      candles: series(60, { symbol: 'ETH-USDT', source: 'batch', state: 'closed' }),
    }).reader;
    const hub = createHub(fake.deps, DEFAULT_WS_OPTIONS, silent, 'binance');
    const socket = fakeSocket();
    const connection = hub.connect(socket);
    /** The replies to both subscriptions come after the batch views answered. */
    const replies = async (count: number): Promise<void> => {
      for (let waited = 0; socket.frames.length < count && waited < 5_000; waited += 5)
        await new Promise((resolve) => setTimeout(resolve, 5));
    };
    connection.receive(JSON.stringify({ op: 'subscribe', channel: 'candles:binance:ethusdt:1m', id: 1 }));
    connection.receive(JSON.stringify({ op: 'subscribe', channel: 'candles:binance:DOGE-USDT:1m', id: 2 }));
    await replies(2);
    assert.deepEqual(
      socket.frames.map((f) => [f['id'], f['type'], f['channel'], f['code']]),
      [
        [1, 'snapshot', 'candles:binance:ETH-USDT:1m', undefined],
        [2, 'error', 'candles:binance:DOGE-USDT:1m', 'UNKNOWN_SYMBOL'],
      ],
    );
    // Trades for it come in: the subscriber gets them.
    fake.push(candle({ symbol: 'ETH-USDT', openTime: T0 + 61 * 60_000, close: 7, state: 'open' }));
    assert.equal((socket.frames.at(-1)?.['candle'] as { close: number } | undefined)?.close, 7);
    connection.receive(JSON.stringify({ op: 'unsubscribe', channel: 'candles:binance:ethusdt:1m', id: 3 }));
    assert.deepEqual(socket.frames.at(-1), {
      type: 'unsubscribed',
      channel: 'candles:binance:ETH-USDT:1m',
      id: 3,
    });
    assert.deepEqual([...connection.subscriptions], []);
    hub.close();
  });

  it('writes candle numbers rounded to 8 decimals, never in exponent notation', () => {
    const { fake, hub } = setup();
    const socket = fakeSocket();
    hub.connect(socket).receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL, limit: 1 }));
    fake.push(
      candle({ openTime: T0 + 5 * 60_000, takerBuyVolume: 205.29999999999998, low: 1e-7, state: 'open' }),
    );
    const update = socket.raw.at(-1) ?? '';
    assert.match(update, /"takerBuyVolume":205\.3,/);
    assert.match(update, /"low":0\.0000001,/);
    assert.doesNotMatch(update, /\de-\d/);
  });

  it('writes a large snapshot in slices between which the server runs, then the updates that came meanwhile', async () => {
    const fake = createFakeDeps(series(3 * SNAPSHOT_SLICE + 7));
    const hub = createHub(fake.deps, DEFAULT_WS_OPTIONS, silent, 'binance');
    const socket = fakeSocket();
    const connection = hub.connect(socket);
    const limit = 3 * SNAPSHOT_SLICE + 7;
    connection.receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL, limit, id: 'a' }));
    assert.equal(socket.frames.length, 0, 'not written in the turn of the subscription');
    let ranBetween = false;
    setImmediate(() => {
      ranBetween = socket.frames.length === 0;
    });
    // Arrives while the snapshot is being written: must follow it.
    fake.push(candle({ openTime: T0 + limit * 60_000, close: 7, state: 'open' }));
    // A second client, after the update: a snapshot of its own, with the update in it.
    const other = fakeSocket();
    hub.connect(other).receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL, limit }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(ranBetween, 'the event loop ran while the snapshot was written');
    const [snapshot, update] = socket.frames as [
      { type: string; id: string; candles: { openTime: number; close: number }[] },
      { type: string; candle: { close: number } },
    ];
    assert.equal(snapshot.type, 'snapshot');
    assert.equal(snapshot.id, 'a');
    assert.deepEqual(
      snapshot.candles.map((c) => c.openTime),
      series(limit).map((c) => c.openTime),
    );
    assert.deepEqual([update.type, update.candle.close], ['update', 7]);
    assert.equal(socket.frames.length, 2);
    const otherSnapshot = other.frames[0] as { candles: { openTime: number }[] };
    assert.equal(
      otherSnapshot.candles.at(-1)?.openTime,
      T0 + limit * 60_000,
      'joined after the update: it is in',
    );
    hub.close();
  });

  it('reads and writes a snapshot once for every client that joins a channel between two updates', async () => {
    const fake = createFakeDeps(series(2 * SNAPSHOT_SLICE));
    const hub = createHub(fake.deps, DEFAULT_WS_OPTIONS, silent, 'binance');
    const sockets = Array.from({ length: 50 }, () => fakeSocket());
    const before = fake.queries.length;
    for (const socket of sockets)
      hub
        .connect(socket)
        .receive(JSON.stringify({ op: 'subscribe', channel: CHANNEL, limit: 2 * SNAPSHOT_SLICE }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(fake.queries.length - before, 1, 'one read of the speed view');
    const frames = new Set(sockets.map((s) => s.raw[0]));
    assert.equal(frames.size, 1);
    const first = sockets[0]?.frames[0] as { candles: unknown[] } | undefined;
    assert.equal(first?.candles.length, 2 * SNAPSHOT_SLICE);
    hub.close();
  });
});
