import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Repository root, from `dist/test/cli/` where the compiled tests run. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = `${REPO_ROOT}bin/crypto-lambda`;
export const FIXTURES = `${REPO_ROOT}test/fixtures/`;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real executable as a child process. With `hangMs`, a process still running then is
 * killed (SIGKILL), so a hang fails the test instead of stalling it.
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  hangMs?: number,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (hangMs !== undefined) {
      const timer = setTimeout(() => child.kill('SIGKILL'), hangMs);
      child.on('exit', () => clearTimeout(timer));
    }
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Parses CSV text with a header row into records. */
export function parseCsv(text: string): Record<string, string>[] {
  const [header, ...rows] = text.trim().split('\n');
  const names = (header ?? '').split(',');
  return rows.map((row) => {
    const cells = row.split(',');
    return Object.fromEntries(names.map((name, i) => [name, cells[i] ?? '']));
  });
}

/** A `crypto-lambda start` serving in its own process. */
export interface Serving {
  url: string;
  child: ChildProcessWithoutNullStreams;
  stderr(): string;
  /** SIGTERM, then its exit code; SIGKILL and a failure when it hangs. */
  stop(): Promise<number | null>;
}

/** Spawns `crypto-lambda <args>` and waits (at most `readyMs`) for the line that says where it serves. */
export function startServing(
  args: string[],
  env: Record<string, string> = {},
  readyMs = 20_000,
): Promise<Serving> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no address printed within ${readyMs} ms:\n${stderr}`));
    }, readyMs);
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /crypto-lambda is running: dashboard and API at (http:\/\/\S+)/.exec(stderr);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ url: match[1].replace(/\/$/, ''), child, stderr: () => stderr, stop });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before serving:\n${stderr}`));
    });
  });
}

/** Polls `probe` every 200 ms until it returns a value; fails after `withinMs` with the last error. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  withinMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`${what} did not happen within ${withinMs} ms (${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
