import { readFileSync, rmSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CryptoLambdaError } from '../../../domain/index.js';
import { LOG_ERRORS } from '../../event-log.js';
import { ioError, isErrno } from './fs-util.js';

export const LOCK_FILE_NAME = 'LOCK';

/** The held lock of a log directory. */
export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

/** Lock files this process holds; released at exit whatever way it takes (`process.exit` included). */
const held = new Set<string>();
let exitHook = false;

function hold(path: string): DirLock {
  held.add(path);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const lock of held) {
        try {
          if (Number.parseInt(readFileSync(lock, 'utf8'), 10) === process.pid) rmSync(lock, { force: true });
        } catch {
          // Gone already, or unreadable: nothing of ours to release.
        }
      }
    });
  }
  return {
    path,
    release: async () => {
      held.delete(path);
      await rm(path, { force: true });
    },
  };
}

/**
 * Takes the lock file of `dir`, holding this process's pid. A lock left by a process that no
 * longer runs (killed) is taken over; one held by a running process, this one included,
 * fails with `LOG_LOCKED`.
 */
export async function acquireDirLock(dir: string): Promise<DirLock> {
  const path = join(dir, LOCK_FILE_NAME);
  // Two rounds: the second runs after a stale lock was removed.
  for (let round = 0; round < 2; round++) {
    try {
      const handle = await open(path, 'wx');
      try {
        await handle.writeFile(`${process.pid}\n`, 'utf8');
      } finally {
        await handle.close();
      }
      return hold(path);
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw ioError(`could not create ${path}`, error);
    }
    const holder = await readHolder(path);
    if (holder !== undefined && isRunning(holder)) {
      throw new CryptoLambdaError(
        LOG_ERRORS.locked,
        `the log in ${dir} is in use by process ${holder}${holder === process.pid ? ' (this process)' : ''}; ` +
          `stop that process or point this one at another data directory. If no such process runs, ` +
          `delete ${path}.`,
        { retryable: true },
      );
    }
    await rm(path, { force: true });
  }
  throw new CryptoLambdaError(LOG_ERRORS.locked, `could not take ${path}: another process keeps taking it`, {
    retryable: true,
  });
}

async function readHolder(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return undefined;
    throw ioError(`could not read ${path}`, error);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return isErrno(error, 'EPERM');
  }
}
