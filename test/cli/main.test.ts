import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT, type RunResult, runCli } from './helpers.js';

/** What a user sees when the process cannot run: one line, a stable code, what to do; never a stack. */
function oneLineError(result: RunResult, code: string): string {
  assert.equal(result.code, 1, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /^\s+at /m);
  assert.ok(lines[0]?.endsWith(`[${code}]`), result.stderr);
  return lines[0] ?? '';
}

describe('crypto-lambda (main): version, environment, errors', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-main-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('prints the version of package.json with --version and -v', async () => {
    const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-v']) {
      const result = await runCli([flag]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${version}\n`);
    }
  });

  it('checks PORT, HOST, DATA_DIR and LOG_LEVEL with the messages of the options they stand for', async () => {
    const data = join(dir, 'data');
    const port = oneLineError(await runCli(['start', '--data-dir', data], { PORT: 'abc' }), 'CLI_BAD_ENV');
    assert.match(
      port,
      /PORT must be an integer from 0 to 65535, got "abc" \(from the environment: fix or unset PORT\)/,
    );
    const option = oneLineError(
      await runCli(['start', '--port', 'abc', '--data-dir', data]),
      'CLI_BAD_OPTION',
    );
    assert.match(option, /--port must be an integer from 0 to 65535, got "abc"/);
    const level = oneLineError(
      await runCli(['start', '--data-dir', data], { LOG_LEVEL: 'loud' }),
      'CLI_BAD_ENV',
    );
    assert.match(
      level,
      /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/,
    );
    const host = oneLineError(
      await runCli(['start', '--data-dir', data], { HOST: 'my host' }),
      'CLI_BAD_ENV',
    );
    assert.match(host, /HOST must be a host name or IP address/);
    const file = join(dir, 'a-file');
    await writeFile(file, '');
    const dataDir = oneLineError(
      await runCli(['replay', '--input', file], { DATA_DIR: file }),
      'CLI_BAD_ENV',
    );
    assert.match(dataDir, /DATA_DIR must be a directory, got ".*a-file", which is not one/);
    // A command that does not read them does not check them.
    const candles = await runCli(['candles', '--help'], { PORT: 'abc', DATA_DIR: file });
    assert.equal(candles.code, 0, candles.stderr);
  });

  it('says in one line, and exits 1, when the port is in use', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const address = server.address();
      assert.ok(typeof address === 'object' && address !== null);
      const args = ['start', '--source', 'simulator', '--data-dir', join(dir, 'busy')];
      // It used to print the error and then hang; a hang is killed after 20 s and fails here.
      const result = await runCli([...args, '--port', String(address.port)], {}, 20_000);
      const line = oneLineError(result, 'CLI_PORT_IN_USE');
      assert.match(line, new RegExp(`port ${address.port} on 127\\.0\\.0\\.1 is in use .*pass --port <n>`));
    } finally {
      server.close();
    }
  });

  it('says in one line what the operating system refused, instead of a stack trace', async () => {
    const file = join(dir, 'plain-file');
    await writeFile(file, '');
    const sample = join(
      REPO_ROOT,
      'test/fixtures/binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz',
    );
    const result = await runCli(['replay', '--input', sample, '--data-dir', join(file, 'data')]);
    assert.match(oneLineError(result, 'CLI_SYSTEM_ERROR'), /ENOTDIR/);
  });
});
