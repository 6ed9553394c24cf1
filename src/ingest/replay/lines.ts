import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { CryptoLambdaError } from '../../domain/index.js';
import { INGEST_ERRORS } from '../errors.js';

const READ_CHUNK_BYTES = 256 * 1024;
/** A "line" longer than this is garbage; cut it so a file without newlines cannot fill memory. */
const MAX_LINE_CHARS = 8 * 1024 * 1024;

/** Whether the file starts with the gzip magic bytes; the content decides, not the name. */
export async function isGzipFile(path: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, 0);
    return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  } catch (error) {
    throw fileError(path, error);
  } finally {
    await handle?.close();
  }
}

/**
 * The lines of a text file, plain or gzip, a chunk at a time (each array holds whole lines,
 * without their `\n`). Reading pauses while the consumer works on a chunk, so memory stays at
 * one chunk whatever the file size.
 * @throws CryptoLambdaError `INGEST_FILE_NOT_FOUND`, `INGEST_FILE_UNREADABLE`, `INGEST_FILE_CORRUPT`
 */
export async function* readLineChunks(path: string, gzip: boolean): AsyncGenerator<string[]> {
  const file = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  const text: Readable = gzip ? pipeline(file, createGunzip({ chunkSize: READ_CHUNK_BYTES }), noop) : file;
  text.setEncoding('utf8');
  let carry = '';
  let first = true;
  try {
    for await (const chunk of text as AsyncIterable<string>) {
      // A byte-order mark would hide a CSV header or a frame's opening brace.
      const body = first && chunk.charCodeAt(0) === 0xfeff ? chunk.slice(1) : chunk;
      first = false;
      const lines = (carry + body).split('\n');
      carry = lines.pop() ?? '';
      if (carry.length > MAX_LINE_CHARS) {
        lines.push(carry);
        carry = '';
      }
      if (lines.length > 0) yield lines;
    }
  } catch (error) {
    throw fileError(path, error);
  } finally {
    text.destroy();
    file.destroy();
  }
  if (carry.length > 0) yield [carry];
}

function noop(): void {}

function fileError(path: string, error: unknown): CryptoLambdaError {
  if (error instanceof CryptoLambdaError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') {
    return new CryptoLambdaError(
      INGEST_ERRORS.fileNotFound,
      `replay file ${path} does not exist; check the path (relative paths start at the working directory)`,
      { cause: error },
    );
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new CryptoLambdaError(
      INGEST_ERRORS.fileCorrupt,
      `replay file ${path} is not a valid gzip stream (${(error as Error).message}); download it again or gunzip it to check`,
      { cause: error },
    );
  }
  const why = error instanceof Error ? error.message : String(error);
  return new CryptoLambdaError(
    INGEST_ERRORS.fileUnreadable,
    `cannot read replay file ${path}: ${why}; check that it is a readable file`,
    { retryable: code === 'EMFILE' || code === 'EAGAIN' || code === 'EBUSY', cause: error },
  );
}
