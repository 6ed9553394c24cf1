import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { LOG_ERRORS, openFileLog } from '../../../../src/log/index.js';
import { tempDir } from './helpers.js';

const WRITER = fileURLToPath(new URL('./crash-writer.js', import.meta.url));

function exited(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

it('refuses a directory that this process already has open, and frees it on close', async () => {
  const dir = await tempDir();
  try {
    const log = await openFileLog({ dir });
    await assert.rejects(openFileLog({ dir }), (error: Error & { code?: string }) => {
      assert.equal(error.code, LOG_ERRORS.locked);
      assert.match(error.message, new RegExp(`process ${process.pid} \\(this process\\)`));
      return true;
    });
    await log.close();
    await assert.rejects(access(join(dir, 'LOCK')));
    await (await openFileLog({ dir })).close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

it('refuses a directory a live process holds, and takes it over once that process is killed', async () => {
  const dir = await tempDir();
  const child = spawn(process.execPath, [WRITER, '--crash-writer', dir, 'never', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const gone = exited(child);
  try {
    const lines = createInterface({ input: child.stdout });
    await new Promise<void>((resolve) => lines.on('line', (line) => line === 'ready' && resolve()));
    await assert.rejects(openFileLog({ dir }), (error: Error & { code?: string }) => {
      assert.equal(error.code, LOG_ERRORS.locked);
      assert.match(error.message, new RegExp(`process ${child.pid}\\b`));
      assert.match(error.message, /LOCK/);
      return true;
    });
    child.kill('SIGKILL');
    await gone;
    const log = await openFileLog({ dir });
    // The killed writer's topic and records are there after the takeover.
    assert.deepEqual((await log.offsets('crash', 0)).start, 0);
    await log.close();
  } finally {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
});

it('takes over a lock file that names no running process', async () => {
  const dir = await tempDir();
  try {
    const exitedChild = spawn(process.execPath, ['-e', '0']);
    await exited(exitedChild);
    for (const content of [`${exitedChild.pid}\n`, 'garbage', '']) {
      await writeFile(join(dir, 'LOCK'), content);
      await (await openFileLog({ dir })).close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
