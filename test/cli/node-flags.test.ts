import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NODE_FLAGS } from '../../src/cli/node-flags.js';
import { BIN, eventually, REPO_ROOT } from './helpers.js';

describe('node flags', () => {
  it('bin/crypto-lambda and the start and bench scripts pass exactly NODE_FLAGS', () => {
    const shebang = readFileSync(BIN, 'utf8').split('\n')[0];
    assert.equal(shebang, `#!/usr/bin/env -S node ${NODE_FLAGS.join(' ')}`);
    const { scripts } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.equal(scripts.start, `node ${NODE_FLAGS.join(' ')} dist/src/cli/main.js start`);
    assert.ok(scripts.bench?.endsWith(`&& node ${NODE_FLAGS.join(' ')} dist/bench/main.js`), scripts.bench);
  });

  it('the process bin/crypto-lambda starts runs with them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-flags-'));
    // Run as an executable, the way a user runs it: the first line picks node and its flags.
    const child = spawn(BIN, ['start', '--port', '0', '--data-dir', dir], {
      stdio: 'ignore',
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const args = await eventually('node running bin/crypto-lambda', async () => {
        const argv = (await readFile(`/proc/${child.pid}/cmdline`, 'utf8')).split('\0');
        return argv.some((a) => a.endsWith('bin/crypto-lambda')) && !argv[0]?.endsWith('env')
          ? argv
          : undefined;
      });
      assert.deepEqual(args.slice(1, 1 + NODE_FLAGS.length), [...NODE_FLAGS]);
    } finally {
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
