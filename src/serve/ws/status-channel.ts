import type { FastifyBaseLogger } from 'fastify';
import type { ServeDeps } from '../deps.js';
import { toJson } from '../json.js';
import type { ChannelCounters, ChannelMember } from './channels.js';

/**
 * The `status` channel: `deps.status()` pushed every `intervalMs` to its subscribers, serialised
 * once per push; the timer runs only while someone subscribes.
 */
export interface StatusChannel {
  /** Adds a member; the caller sends its snapshot first. */
  join(member: ChannelMember): void;
  leave(member: ChannelMember): void;
  active(): boolean;
}

export function createStatusChannel(
  status: ServeDeps['status'],
  intervalMs: number,
  counters: ChannelCounters,
  log: FastifyBaseLogger,
): StatusChannel {
  const members = new Set<ChannelMember>();
  let timer: NodeJS.Timeout | undefined;
  const broadcast = (): void => {
    let frame: string;
    try {
      frame = toJson({ type: 'update', channel: 'status', status: status() });
    } catch (error) {
      log.error({ err: error }, 'status() failed; status update skipped');
      return;
    }
    counters.framesSerialized++;
    for (const member of members) member.sender.update('status', frame);
  };
  return {
    join(member) {
      members.add(member);
      if (timer === undefined) {
        timer = setInterval(broadcast, intervalMs);
        timer.unref();
      }
    },
    leave(member) {
      members.delete(member);
      if (members.size === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    },
    active: () => timer !== undefined,
  };
}
