import type { FastifyBaseLogger } from 'fastify';
import { type Interval, isCryptoLambdaError, symbolKey } from '../../domain/index.js';
import { findSeries } from '../catalogue.js';
import type { ServeDeps, SymbolInfo } from '../deps.js';
import type { FieldError } from '../errors.js';
import { toJson } from '../json.js';
import type { WsOptions } from '../options.js';
import { candleChannel, pickSeries } from '../params.js';
import { createCandleChannels } from './channels.js';
import { type ChannelRef, type ClientMessage, parseChannel, parseClientMessage } from './protocol.js';
import { createSender, type Sender, type SocketLike } from './sender.js';
import { createStatusChannel } from './status-channel.js';

/** Counters of the WebSocket layer, read by `/metrics`. */
export interface WsStats {
  connections: number;
  /** Channels with at least one subscriber. */
  channels: number;
  /** Update frames serialized: one per update per channel, however many clients. */
  framesSerialized: number;
  /** Frames written to sockets. */
  framesSent: number;
  /** Waiting updates replaced by newer ones. */
  coalesced: number;
  /** Clients closed as too slow. */
  slowClosed: number;
}

/** One client connection, as the hub sees it. */
export interface HubConnection {
  /** Handles one text frame from the client. */
  receive(text: string): void;
  /** The client went away; drops its subscriptions. */
  close(): void;
  readonly subscriptions: ReadonlySet<string>;
}

export interface Hub {
  connect(socket: SocketLike): HubConnection;
  stats(): WsStats;
  /** Drops every subscription and timer (server shutdown). */
  close(): void;
}

interface Client {
  sender: Sender;
  subscriptions: Set<string>;
  /** The channel names this client subscribed with (`candles:btcusdt:1m`) and what they resolved to. */
  aliases: Map<string, string>;
}

type Reply = Record<string, unknown>;

/**
 * Fans live updates out to WebSocket clients. A channel holds one subscription to the live feed
 * however many clients share it, and each update is serialized once per channel; every client
 * gets it through its own backpressure-aware sender (`sender.ts`), so a slow client never slows
 * the feed.
 */
export function createHub(
  deps: ServeDeps,
  options: WsOptions,
  log: FastifyBaseLogger,
  defaultVenue: string,
): Hub {
  const clients = new Set<Client>();
  const counters = { framesSerialized: 0, framesSent: 0, coalesced: 0, slowClosed: 0 };
  const channels = createCandleChannels(deps.live, counters, log);
  const status = createStatusChannel(deps.status, options.statusIntervalMs, counters, log);

  const leave = (client: Client, name: string): void => {
    client.subscriptions.delete(name);
    if (name === 'status') status.leave(client);
    else channels.leave(client, name);
  };

  const subscribe = (
    client: Client,
    message: Extract<ClientMessage, { op: 'subscribe' }>,
    reply: (r: Reply) => void,
  ) => {
    const ref = parseChannel(message.channel);
    if (ref === undefined) {
      return reply({
        type: 'error',
        code: 'INVALID_CHANNEL',
        message: `unknown channel "${message.channel}"; expected status or candles:<venue>:<symbol>:<interval>`,
        channel: message.channel,
      });
    }
    if (ref.kind === 'status') {
      if (!client.subscriptions.has('status') && client.subscriptions.size >= options.maxSubscriptions) {
        return tooMany(reply, 'status', options.maxSubscriptions);
      }
      reply({ type: 'snapshot', channel: 'status', status: deps.status() });
      client.subscriptions.add('status');
      status.join(client);
      return;
    }
    let info: SymbolInfo;
    try {
      info = speedSeries(ref);
    } catch (error) {
      if (deps.batch === undefined || !isUnknownSeries(error)) throw error;
      // Not in the speed view: it may be a series only the batch views hold (history). Its
      // snapshot is the speed view's (empty); it goes live if trades for it come in.
      void findSeries(deps, ref, defaultVenue)
        .then((found) => {
          if (clients.has(client)) join(client, message, reply, found, ref.interval);
        })
        .catch((failure: unknown) => {
          if (clients.has(client)) replyFailure(failure, reply, message.channel, log);
        });
      return;
    }
    join(client, message, reply, info, ref.interval);
  };

  /** The series of the speed view a channel names, by key: the cost does not grow with symbols. */
  const speedSeries = (ref: Extract<ChannelRef, { kind: 'candles' }>): SymbolInfo =>
    pickSeries(deps.candles.find(symbolKey(ref.symbol)), ref, defaultVenue, (venue) =>
      deps.candles.hasVenue(venue),
    );

  /** Subscribes `client` to the candles of a resolved series: the snapshot, then its updates. */
  const join = (
    client: Client,
    message: Extract<ClientMessage, { op: 'subscribe' }>,
    reply: (r: Reply) => void,
    info: SymbolInfo,
    interval: Interval,
  ): void => {
    const series = { venue: info.venue, symbol: info.symbol, interval };
    const name = candleChannel(series);
    if (!client.subscriptions.has(name) && client.subscriptions.size >= options.maxSubscriptions) {
      tooMany(reply, name, options.maxSubscriptions);
      return;
    }
    const limit = message.limit ?? options.snapshotLimit;
    client.subscriptions.add(name);
    client.aliases.set(message.channel, name);
    // The snapshot, then the updates: the channels hold the updates of a client until its
    // snapshot is written.
    channels.join(client, name, series, () => deps.candles.candles({ ...series, limit }), {
      limit,
      id: message.id,
    });
  };

  const unsubscribe = (client: Client, channel: string, reply: (r: Reply) => void): void => {
    const ref = parseChannel(channel);
    let name = client.aliases.get(channel) ?? channel;
    if (ref?.kind === 'candles' && !client.aliases.has(channel)) {
      try {
        const info = speedSeries(ref);
        name = candleChannel({ venue: info.venue, symbol: info.symbol, interval: ref.interval });
      } catch {
        // Unknown series: nothing can be subscribed under it, so there is nothing to leave.
      }
    }
    client.aliases.delete(channel);
    leave(client, name);
    reply({ type: 'unsubscribed', channel: name });
  };

  const handle = (client: Client, text: string): void => {
    const parsed = parseClientMessage(text);
    const id = parsed.id;
    const reply = (r: Reply): void => client.sender.control(toJson(id === undefined ? r : { ...r, id }));
    if ('error' in parsed) {
      reply({ type: 'error', ...parsed.error });
      return;
    }
    try {
      if (parsed.op === 'ping') reply({ type: 'pong', ts: Date.now() });
      else if (parsed.op === 'unsubscribe') unsubscribe(client, parsed.channel, reply);
      else subscribe(client, parsed, reply);
    } catch (error) {
      replyFailure(error, reply, 'channel' in parsed ? parsed.channel : undefined, log);
    }
  };

  return {
    connect(socket) {
      const close = (): void => {
        for (const name of [...client.subscriptions]) leave(client, name);
        client.sender.dispose();
        clients.delete(client);
      };
      const client: Client = {
        sender: createSender(socket, options, {
          onCoalesced: () => counters.coalesced++,
          onSent: () => counters.framesSent++,
          onSlowClose: (reason) => {
            counters.slowClosed++;
            log.warn({ reason }, 'closed slow WebSocket client');
            // Deferred: this may run inside a live-feed callback, which must not see its listeners change.
            queueMicrotask(close);
          },
        }),
        subscriptions: new Set(),
        aliases: new Map(),
      };
      clients.add(client);
      return { receive: (text) => handle(client, text), close, subscriptions: client.subscriptions };
    },
    stats: () => ({
      connections: clients.size,
      channels: channels.size() + (status.active() ? 1 : 0),
      ...counters,
    }),
    close() {
      for (const client of [...clients]) {
        for (const name of [...client.subscriptions]) leave(client, name);
        client.sender.dispose();
      }
      clients.clear();
    },
  };
}

function tooMany(reply: (r: Reply) => void, channel: string, maxSubscriptions: number): void {
  reply({
    type: 'error',
    code: 'TOO_MANY_SUBSCRIPTIONS',
    message: `at most ${maxSubscriptions} subscriptions per connection`,
    channel,
  });
}

/** Answers a failed message: an unknown series with its code and field, anything else as internal. */
function replyFailure(
  error: unknown,
  reply: (r: Reply) => void,
  channel: string | undefined,
  log: FastifyBaseLogger,
): void {
  if (isUnknownSeries(error)) {
    reply({ type: 'error', code: error.code, message: error.message, field: error.field, channel });
    return;
  }
  log.error({ err: error }, 'WebSocket message failed');
  reply({ type: 'error', code: 'INTERNAL_ERROR', message: 'internal server error' });
}

/** Whether `error` says a request named no known series (`field` names the parameter). */
function isUnknownSeries(error: unknown): error is FieldError & { code: 'UNKNOWN_SYMBOL' | 'UNKNOWN_VENUE' } {
  return isCryptoLambdaError(error, 'UNKNOWN_SYMBOL') || isCryptoLambdaError(error, 'UNKNOWN_VENUE');
}
