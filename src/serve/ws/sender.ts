/** The part of a `ws` WebSocket the sender uses. */
export interface SocketLike {
  /** Bytes queued by `send` and not yet written to the network. */
  readonly bufferedAmount: number;
  /** 1 = OPEN, as in the WebSocket standard. */
  readonly readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** Limits of one sender; the server fills them from `WsOptions`. */
export interface SenderOptions {
  /** Above this many buffered bytes, frames wait and updates coalesce. */
  coalesceAboveBytes: number;
  /** Waiting bytes above this close the client. */
  closeAboveBytes: number;
  /** Waiting frames above this close the client. */
  maxPendingFrames: number;
  /** With frames waiting and no drain for this long, the client is closed. */
  stallTimeoutMs: number;
  /** Poll period while frames wait. */
  drainCheckMs: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** Counters a sender reports to its owner (for metrics). */
export interface SenderEvents {
  /** A waiting update was replaced by a newer one with the same key. */
  onCoalesced?(): void;
  /** A frame was written to the socket. */
  onSent?(): void;
  /** The sender closed its client as too slow. */
  onSlowClose?(reason: string): void;
}

export interface Sender {
  /** Queues a frame that must be delivered, in order (snapshots, acks, errors). */
  control(frame: string): void;
  /**
   * Queues an update that a newer update with the same `key` may replace while it waits
   * (key = channel + candle open time, so a slow client skips to the latest state of each candle).
   */
  update(key: string, frame: string): void;
  /** Writes waiting frames while the socket is below the coalescing threshold. */
  flush(): void;
  /** Frames waiting. */
  readonly pendingFrames: number;
  /** Bytes (UTF-16 code units) waiting. */
  readonly pendingBytes: number;
  /** True once closed as slow, or disposed. */
  readonly closed: boolean;
  /** Stops timers and drops waiting frames; the connection is gone. */
  dispose(): void;
}

/** WebSocket close code used for slow consumers: policy violation. */
export const SLOW_CONSUMER_CLOSE_CODE = 1008;

const OPEN = 1;

/**
 * A per-connection sender that never lets a slow client slow the caller or grow memory without
 * bound. While the socket's buffer is at most `coalesceAboveBytes`, frames are written at once.
 * Above it they wait in one ordered map: an update replaces the waiting update with the same key
 * (keeping its place), control frames append. Waiting frames are written when the buffer drains
 * (polled every `drainCheckMs`). The client is closed with 1008 `slow_consumer` when the waiting
 * bytes exceed `closeAboveBytes`, the waiting frames exceed `maxPendingFrames`, or nothing could
 * be written for `stallTimeoutMs`. So one client holds at most about `coalesceAboveBytes` + one
 * frame in its socket and `closeAboveBytes` in its queue.
 */
export function createSender(socket: SocketLike, options: SenderOptions, events: SenderEvents = {}): Sender {
  const now = options.now ?? Date.now;
  const queue = new Map<string, string>();
  let pendingBytes = 0;
  let controlSeq = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let lastProgressTs = now();

  const stop = (): void => {
    closed = true;
    queue.clear();
    pendingBytes = 0;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };

  const slowClose = (reason: string): void => {
    stop();
    events.onSlowClose?.(reason);
    // The reason travels in the close frame, which a WebSocket limits to 123 bytes.
    socket.close(SLOW_CONSUMER_CLOSE_CODE, `slow_consumer: ${reason}`.slice(0, 123));
  };

  const write = (frame: string): void => {
    socket.send(frame);
    lastProgressTs = now();
    events.onSent?.();
  };

  const schedule = (): void => {
    if (timer === undefined && !closed) {
      timer = setTimeout(flush, options.drainCheckMs);
      timer.unref();
    }
  };

  const canWrite = (): boolean => socket.bufferedAmount <= options.coalesceAboveBytes;

  function flush(): void {
    timer = undefined;
    if (closed) return;
    if (socket.readyState !== OPEN) {
      stop();
      return;
    }
    for (const [key, frame] of queue) {
      if (!canWrite()) break;
      queue.delete(key);
      pendingBytes -= frame.length;
      write(frame);
    }
    if (queue.size === 0) return;
    if (now() - lastProgressTs >= options.stallTimeoutMs)
      slowClose(`no drain for ${options.stallTimeoutMs} ms`);
    else schedule();
  }

  const enqueue = (key: string, frame: string): void => {
    if (closed) return;
    if (socket.readyState !== OPEN) {
      stop();
      return;
    }
    if (queue.size === 0 && canWrite()) {
      write(frame);
      return;
    }
    if (queue.size === 0) lastProgressTs = now();
    const waiting = queue.get(key);
    if (waiting !== undefined) events.onCoalesced?.();
    queue.set(key, frame);
    pendingBytes += frame.length - (waiting?.length ?? 0);
    if (pendingBytes > options.closeAboveBytes) {
      slowClose(`${pendingBytes} bytes waiting, limit ${options.closeAboveBytes}`);
    } else if (queue.size > options.maxPendingFrames) {
      slowClose(`${queue.size} frames waiting, limit ${options.maxPendingFrames}`);
    } else {
      schedule();
    }
  };

  return {
    // Control keys start with a character update keys never contain, so they never coalesce.
    control: (frame) => enqueue(`\u0000${controlSeq++}`, frame),
    update: (key, frame) => enqueue(key, frame),
    flush,
    get pendingFrames() {
      return queue.size;
    },
    get pendingBytes() {
      return pendingBytes;
    },
    get closed() {
      return closed;
    },
    dispose: stop,
  };
}
