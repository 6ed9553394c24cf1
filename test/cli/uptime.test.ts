import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_ERRORS } from '../../src/cli/args.js';
import { openUptime, UPTIME_FILE } from '../../src/cli/uptime.js';
import { isCryptoLambdaError } from '../../src/domain/index.js';

const T = Date.UTC(2024, 0, 2);

async function withDir(test: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-uptime-'));
  try {
    await test(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('uptime record', () => {
  it('records runs, clean stops and crashes; downtime is between runs, clipped', () =>
    withDir(async (dir) => {
      let now = T;
      const clock = { now: () => now, heartbeatMs: 5 };
      const first = await openUptime(dir, clock);
      now = T + 60_000;
      await first.close();
      now = T + 5 * 60_000;
      const second = await openUptime(dir, clock);
      now = T + 6 * 60_000;
      // Crashed: never closed. Its end is its start (no heartbeat ran).
      now = T + 10 * 60_000;
      const third = await openUptime(dir, clock);
      assert.deepEqual(third.runs(), [
        { startTs: T, endTs: T + 60_000, clean: true },
        { startTs: T + 5 * 60_000, endTs: T + 5 * 60_000, clean: false },
        { startTs: T + 10 * 60_000, endTs: T + 10 * 60_000, clean: false },
      ]);
      assert.deepEqual(third.downtime(T - 60_000, T + 60 * 60_000), [
        { fromTs: T + 60_000, toTs: T + 5 * 60_000 },
        { fromTs: T + 5 * 60_000, toTs: T + 10 * 60_000 },
      ]);
      assert.deepEqual(third.downtime(T + 2 * 60_000, T + 3 * 60_000), [
        { fromTs: T + 2 * 60_000, toTs: T + 3 * 60_000 },
      ]);
      // Before the first run is not downtime: nothing ran then, nothing was live.
      assert.deepEqual(third.downtime(T - 60 * 60_000, T), []);
      await third.close();
      await second.close().catch(() => undefined);
    }));

  it('beats only while a source runs: an idle process writes nothing', () =>
    withDir(async (dir) => {
      let now = T;
      let active = false;
      const record = await openUptime(dir, { now: () => now, heartbeatMs: 5 });
      record.start(() => active);
      const path = join(dir, UPTIME_FILE);
      const before = (await stat(path)).mtimeMs;
      now = T + 1_000;
      await sleep(40);
      assert.equal((await stat(path)).mtimeMs, before, 'idle: not written');
      assert.equal(record.runs()[0]?.endTs, T);
      active = true;
      await sleep(40);
      const saved = JSON.parse(await readFile(path, 'utf8')) as { runs: { endTs: number }[] };
      assert.equal(saved.runs[0]?.endTs, T + 1_000, 'a running source: the heartbeat is on disk');
      await record.close();
    }));

  it('refuses a corrupt record with a clear code, naming the file', () =>
    withDir(async (dir) => {
      for (const text of ['{not json', '{"version":1,"runs":[{"startTs":5,"endTs":1,"clean":true}]}']) {
        await writeFile(join(dir, UPTIME_FILE), text);
        await assert.rejects(
          openUptime(dir),
          (error: unknown) =>
            isCryptoLambdaError(error, CLI_ERRORS.uptimeCorrupt) &&
            (error as Error).message.includes(UPTIME_FILE),
        );
      }
    }));
});
