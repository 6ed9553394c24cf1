import { CryptoLambdaError } from './errors.js';
import type { DurationMs, UnixMs } from './units.js';

/**
 * Event-time rules every stage that closes or seals by time must share (ARCHITECTURE.md §5):
 * the speed layer closes and revises candles by them, the lake writer seals hours by them, and
 * the serving layer's merge is right only while both agree. One object, resolved once at start
 * and handed to each stage.
 */
export interface TimePolicy {
  /**
   * The watermark of a series is the largest event time seen minus this bound; a bucket closes
   * once the watermark reaches its end.
   * @default 1000
   */
  maxOutOfOrdernessMs: DurationMs;
  /**
   * A trade for a bucket already closed still revises it while `bucket end + allowedLatenessMs`
   * is ahead of the watermark; later ones are left to the batch layer. The lake seals an hour
   * once the watermark passes its end plus this much, so the batch layer sees every trade the
   * speed layer could still take.
   * @default 60000
   */
  allowedLatenessMs: DurationMs;
}

/** The defaults, one object typed as the full policy. */
export const TIME_POLICY_DEFAULTS: TimePolicy = {
  maxOutOfOrdernessMs: 1000,
  allowedLatenessMs: 60_000,
};

/** Error code of an invalid time policy. */
export const TIME_POLICY_INVALID = 'TIME_POLICY_INVALID';

/**
 * The policy with defaults for what `policy` leaves out, checked: both bounds are integers ≥ 0.
 * @throws CryptoLambdaError `TIME_POLICY_INVALID` naming the field.
 */
export function resolveTimePolicy(policy: Partial<TimePolicy> = {}): TimePolicy {
  const resolved: TimePolicy = {
    maxOutOfOrdernessMs: policy.maxOutOfOrdernessMs ?? TIME_POLICY_DEFAULTS.maxOutOfOrdernessMs,
    allowedLatenessMs: policy.allowedLatenessMs ?? TIME_POLICY_DEFAULTS.allowedLatenessMs,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new CryptoLambdaError(
        TIME_POLICY_INVALID,
        `${name} must be a non-negative integer of ms, got ${String(value)}`,
      );
    }
  }
  return resolved;
}

/** The watermark of a series whose largest event time is `maxTs`. */
export function watermarkOf(maxTs: UnixMs, policy: TimePolicy): UnixMs {
  return maxTs - policy.maxOutOfOrdernessMs;
}

/** Event times before this can no longer change anything at this watermark: what ends by then is final. */
export function settledBefore(watermarkTs: UnixMs, policy: TimePolicy): UnixMs {
  return watermarkTs - policy.allowedLatenessMs;
}
