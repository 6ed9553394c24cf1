import type { FastifyBaseLogger } from 'fastify';
import type { Candle, Interval, LiveFeed } from '../../domain/index.js';
import { toJson } from '../json.js';
import type { Sender } from './sender.js';

/** A subscriber, as the candle channels see it. */
export interface ChannelMember {
  sender: Sender;
}

/** Counters the channels add to, for `/metrics`. */
export interface ChannelCounters {
  framesSerialized: number;
}

/**
 * The candle channels of the WebSocket hub. A channel holds one subscription to the live feed
 * however many clients share it, and serialises each update once. A joining client gets a
 * snapshot and then every update, in that order. Snapshots are shared: clients joining a channel
 * with the same limit between two updates get the same serialised candles. A large snapshot is
 * serialised in slices between which the event loop runs, so thousands of clients asking for
 * 10,000 candles never stall the server; the updates that arrive meanwhile wait for it.
 */
export interface CandleChannels {
  /**
   * Adds `member` to the channel `name` (opened on first use): sends the snapshot frame made of
   * `candles` with `control`, then its updates.
   */
  join(
    member: ChannelMember,
    name: string,
    series: { venue: string; symbol: string; interval: Interval },
    candles: () => Candle[],
    snapshot: { limit: number; id: string | number | undefined },
  ): void;
  leave(member: ChannelMember, name: string): void;
  size(): number;
}

/** Snapshots of at most this many candles are written at once; larger ones in slices of it. */
export const SNAPSHOT_SLICE = 500;

interface Channel {
  members: Set<ChannelMember>;
  /** Members whose snapshot is being written: their updates wait here, coalesced by key. */
  joining: Map<ChannelMember, Map<string, string>>;
  /** Serialised candles by snapshot limit (being written, or written), until the next update. */
  snapshots: Map<number, string | Promise<string>>;
  unsubscribe: () => void;
}

export function createCandleChannels(
  live: LiveFeed,
  counters: ChannelCounters,
  log: FastifyBaseLogger,
): CandleChannels {
  const channels = new Map<string, Channel>();

  const open = (name: string, series: { venue: string; symbol: string; interval: Interval }): Channel => {
    const channel: Channel = {
      members: new Set(),
      joining: new Map(),
      snapshots: new Map(),
      unsubscribe: () => {},
    };
    channel.unsubscribe = live.subscribeCandles(series, (candle) => {
      // This runs on the pipeline's stack: nothing a client causes may throw into it.
      try {
        channel.snapshots.clear();
        const frame = toJson({ type: 'update', channel: name, candle });
        counters.framesSerialized++;
        const key = `${name}|${candle.openTime}`;
        for (const member of channel.members) {
          const waiting = channel.joining.get(member);
          if (waiting === undefined) member.sender.update(key, frame);
          else waiting.set(key, frame);
        }
      } catch (error) {
        log.error({ err: error, channel: name }, 'candle fan-out failed');
      }
    });
    return channel;
  };

  return {
    join(member, name, series, candles, snapshot) {
      let channel = channels.get(name);
      if (channel === undefined) {
        channel = open(name, series);
        channels.set(name, channel);
      }
      const joined = channel;
      joined.members.add(member);
      let body = joined.snapshots.get(snapshot.limit);
      if (body === undefined) {
        body = serialiseCandles(candles());
        joined.snapshots.set(snapshot.limit, body);
      }
      const head = `{"type":"snapshot","channel":${JSON.stringify(name)},"candles":`;
      const tail = snapshot.id === undefined ? '}' : `,"id":${JSON.stringify(snapshot.id)}}`;
      if (typeof body === 'string') {
        member.sender.control(head + body + tail);
        return;
      }
      const waiting = new Map<string, string>();
      joined.joining.set(member, waiting);
      body.then(
        (candlesJson) => {
          if (joined.snapshots.get(snapshot.limit) === body)
            joined.snapshots.set(snapshot.limit, candlesJson);
          if (joined.joining.get(member) !== waiting) return;
          joined.joining.delete(member);
          member.sender.control(head + candlesJson + tail);
          for (const [key, frame] of waiting) member.sender.update(key, frame);
        },
        (error: unknown) => log.error({ err: error, channel: name }, 'snapshot failed'),
      );
    },
    leave(member, name) {
      const channel = channels.get(name);
      if (channel === undefined) return;
      channel.members.delete(member);
      channel.joining.delete(member);
      if (channel.members.size === 0) {
        channels.delete(name);
        channel.unsubscribe();
      }
    },
    size: () => channels.size,
  };
}

/**
 * The candles as a JSON array: up to `SNAPSHOT_SLICE` candles written at once (and the frame goes
 * out in the turn of the subscription), more a slice per turn.
 */
function serialiseCandles(candles: readonly Candle[]): string | Promise<string> {
  if (candles.length <= SNAPSHOT_SLICE) return toJson(candles);
  return (async () => {
    const parts: string[] = [];
    for (let i = 0; i < candles.length; i += SNAPSHOT_SLICE) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      parts.push(toJson(candles.slice(i, i + SNAPSHOT_SLICE)).slice(1, -1));
    }
    return `[${parts.join(',')}]`;
  })();
}
