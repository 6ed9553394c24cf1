import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, runCli } from '../helpers.js';

describe('crypto-lambda repair', () => {
  it('is listed in the help, and has its own', async () => {
    assert.match(
      (await runCli(['--help'])).stdout,
      /^ {2}repair {4}set damaged files of a data directory aside/m,
    );
    const help = await runCli(['repair', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: crypto-lambda repair \[--data-dir <dir>\]/);
    assert.match(help.stdout, /damaged\/<time>/);
  });

  it('refuses a directory that is not a data directory, and changes nothing in it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-repair-'));
    try {
      const result = await runCli(['repair', '--data-dir', dir]);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /has no log: it is not a data directory of crypto-lambda.*\[CLI_BAD_OPTION\]/,
      );
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says nothing is damaged in a whole data directory, and leaves it as it is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-repair-'));
    try {
      const input = `${FIXTURES}binance/xrpeth-2019-10-11/XRPETH-aggTrades-2019-10-11.csv.gz`;
      assert.equal((await runCli(['replay', '--input', input, '--data-dir', dir])).code, 0);
      const before = (await readdir(dir, { recursive: true })).sort();
      const result = await runCli(['repair'], { DATA_DIR: dir });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout,
        `crypto-lambda repair: nothing is damaged in ${dir}; nothing was changed.\n`,
      );
      assert.deepEqual((await readdir(dir, { recursive: true })).sort(), before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
