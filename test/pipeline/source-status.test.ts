import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openPipeline, type Pipeline } from '../../src/cli/pipeline.js';
import type { SystemStatus } from '../../src/serve/index.js';
import { listSource, liveTrades } from './list-source.js';

const MIN = 60_000;

describe("a source's status", () => {
  it('says finished only once every trade it delivered is in the log, and counted', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'cl-source-status-'));
    const base = Date.UTC(2024, 0, 1);
    const batches = [
      liveTrades('A-USDT', base, base + 5 * MIN, 1_000),
      liveTrades('B-USDT', base, base + 5 * MIN, 1_000),
    ];
    const total = batches.reduce((n, b) => n + b.length, 0);
    const pipeline: Pipeline = await openPipeline({ dataDir, live: false, batch: false });
    // What the status said at the moment the source's last batch was taken and it ended: the
    // writer's appends of both batches are still in flight then (none can finish in that turn).
    const seen: SystemStatus['sources'][] = [];
    const list = listSource('list', batches);
    const source: typeof list = {
      name: list.name,
      state: () => list.state(),
      async *batches(options) {
        yield* list.batches(options);
        seen.push(pipeline.status().sources);
      },
    };
    try {
      await pipeline.runSource(source);
      const [atEnd] = seen;
      assert.ok(atEnd !== undefined);
      const entry = atEnd.find((s) => s.name === 'list');
      assert.equal(list.state(), 'finished', 'the source itself had ended');
      assert.notEqual(entry?.state, 'finished', `finished with ${entry?.trades} of ${total} trades counted`);
      const after = pipeline.status().sources.find((s) => s.name === 'list');
      assert.deepEqual(after, { name: 'list', state: 'finished', trades: total, rejected: 0 });
    } finally {
      await pipeline.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
