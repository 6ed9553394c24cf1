import { toUnixMs } from '../../domain/index.js';
import { parseDecimal } from './parse.js';

const OPEN_BRACE = 123;
const ZERO = 48;
const NINE = 57;
/** `{"received_at": <seconds>, …}`: the recorder's field leads the line. */
const RECEIVED_AT = /^\{\s*"received_at"\s*:\s*(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*[,}]/;

const QUOTE = 34;

/** A cheap look before the regex: most lines are bare frames, `{"stream":…` or `{"e":…`. */
function mayLeadWithReceivedAt(line: string): boolean {
  const second = line.charCodeAt(1);
  return second === QUOTE ? line.startsWith('received_at"', 2) : second <= 32;
}

/**
 * The receive time (ms) a recorded frame line carries, or undefined: a cryptofeed capture line
 * `<recv_unix_seconds>: <frame>` or a `{"received_at":<seconds>,"raw":…}` record (with
 * `received_at` first, as recorders write it). The replay stamps a batch's raw record with it,
 * so bronze files a recording under the hour it was received rather than the hour it was replayed.
 * Never throws; reads as `parseBinanceFrame` does.
 */
export function recordedRecvTs(line: string): number | undefined {
  const first = line.charCodeAt(0);
  let seconds = Number.NaN;
  if (first >= ZERO && first <= NINE) {
    const sep = line.indexOf(': ');
    if (sep > 0) seconds = parseDecimal(line.slice(0, sep));
  } else if (first === OPEN_BRACE && mayLeadWithReceivedAt(line)) {
    const match = RECEIVED_AT.exec(line);
    if (match !== null) seconds = Number(match[1]);
  }
  if (!(seconds > 0)) return undefined;
  const ms = toUnixMs(seconds);
  return Number.isSafeInteger(ms) ? ms : undefined;
}
