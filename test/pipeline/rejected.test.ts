import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPipeline, type Pipeline } from '../../src/cli/pipeline.js';
import { openReplay } from '../../src/ingest/index.js';
import { buildServer } from '../../src/serve/index.js';

const BAD = 3_000;

/** An aggTrades dump of 50 good lines and `BAD` lines with a negative price. */
function dump(): string {
  const lines = [
    'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker,is_best_match',
  ];
  const t0 = Date.UTC(2019, 9, 11);
  for (let i = 1; i <= 50; i++) lines.push(`${i},0.0014,10,${i},${i},${t0 + i * 1000},true,true`);
  for (let i = 51; i <= 50 + BAD; i++) lines.push(`${i},-5,10,${i},${i},${t0 + i * 1000},true,true`);
  return `${lines.join('\n')}\n`;
}

/** The rejected counts once the pipeline's reader has caught up with the log. */
async function settled(pipeline: Pipeline): Promise<{ total: number }> {
  for (let i = 0; i < 400 && pipeline.deps.rejected.counts().total < BAD; i++) await sleep(25);
  return pipeline.deps.rejected.counts();
}

async function compare(pipeline: Pipeline, when: string): Promise<void> {
  await settled(pipeline);
  const app = buildServer(pipeline.deps, { dashboard: false, processMetrics: false });
  try {
    const status = (await app.inject('/api/v1/system/status')).json() as {
      rejected: { total: number; byReason: Record<string, number> };
    };
    const listed = (await app.inject('/api/v1/rejected?limit=10000')).json() as {
      total: number;
      byReason: Record<string, number>;
      rejected: { origin: string }[];
    };
    assert.deepEqual(status.rejected, { total: BAD, byReason: { invalid_price: BAD } }, when);
    assert.equal(listed.total, status.rejected.total, `${when}: the list's total is the status'`);
    assert.deepEqual(listed.byReason, status.rejected.byReason);
    assert.equal(
      listed.rejected.length,
      status.rejected.total,
      `${when}: every record counted can be listed`,
    );
    assert.equal(new Set(listed.rejected.map((r) => r.origin)).size, BAD);
    assert.match(listed.rejected[0]?.origin ?? '', new RegExp(`:${BAD + 51}$`), 'newest first');
  } finally {
    await app.close();
  }
}

describe('rejected records: the status and /api/v1/rejected agree', () => {
  it('counts and lists the same records of the log, also after a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cl-rejected-'));
    try {
      const file = join(dir, 'XRPETH-aggTrades-2019-10-11.csv');
      await writeFile(file, dump());
      const dataDir = join(dir, 'data');
      const pipeline = await openPipeline({ dataDir, live: false, batch: false });
      try {
        await pipeline.runSource(openReplay(file));
        await compare(pipeline, 'running');
      } finally {
        await pipeline.close();
      }
      const restarted = await openPipeline({ dataDir, live: false, batch: false });
      try {
        await compare(restarted, 'after a restart');
      } finally {
        await restarted.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
