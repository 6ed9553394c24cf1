import { parentPort } from 'node:worker_threads';
import { rawBronzeMember } from '../log/index.js';

/*
 * The lake's bronze worker thread: turns raw records into gzip members of bronze JSON lines
 * (decompress, format each payload as JSON, gzip), the CPU-heavy part of bronze, off the thread
 * that runs the log, the speed layer and the lake writer.
 */
/** A raw record to format, or the end: the worker closes its port and the thread exits. */
export type BronzeRequest = { id: number; bytes: Uint8Array } | { close: true };
export type BronzeResponse =
  | { id: number; member: Uint8Array; lines: number }
  | { id: number; error: string };

const port = parentPort;
if (port === null) throw new Error('lake/bronze-worker.js runs only as a worker thread');
port.on('message', (request: BronzeRequest) => {
  if ('close' in request) {
    port.close();
    return;
  }
  try {
    const { member, lines } = rawBronzeMember(request.bytes);
    // A buffer of its own, to transfer rather than copy.
    const own = new Uint8Array(member);
    port.postMessage({ id: request.id, member: own, lines } satisfies BronzeResponse, [own.buffer]);
  } catch (error) {
    port.postMessage({
      id: request.id,
      error: error instanceof Error ? error.message : String(error),
    } satisfies BronzeResponse);
  }
});
