import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { ServeDeps } from '../../../src/serve/index.js';
import { buildServer } from '../../../src/serve/index.js';
import { createFakeBatch, createFakeDeps, mover, series, trendingScore } from '../fake-deps.js';

const CHROMIUM = '/usr/bin/chromium';
const run = promisify(execFile);

/** The page's DOM after its scripts ran, from headless Chromium (virtual time lets the fetches finish). */
async function renderedDom(deps: ServeDeps): Promise<string> {
  const app = buildServer(deps, { processMetrics: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const { port } = app.server.address() as AddressInfo;
    const { stdout } = await run(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--virtual-time-budget=3000',
        '--dump-dom',
        `http://127.0.0.1:${port}/`,
      ],
      { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
    );
    return stdout;
  } finally {
    await app.close();
  }
}

const tbody = (dom: string, id: string): string =>
  dom.match(new RegExp(`<tbody id="${id}">(.*?)</tbody>`))?.[1] ?? '';

describe('dashboard in Chromium', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed`,
}, () => {
  it('renders the movers and trending panels from the batch views', async () => {
    const fake = createFakeDeps(series(5));
    fake.deps.batch = createFakeBatch({
      movers: [
        mover({ symbol: 'SOL-USDT', changePct: 12.5, close: 0.00001234 }),
        mover({ type: 'losers', symbol: 'XRP-USDT', changePct: -3.25 }),
      ],
      trending: [trendingScore({ symbol: 'PEPE-USDT', score: 0.75 })],
    }).reader;
    const dom = await renderedDom(fake.deps);
    const movers = tbody(dom, 'movers');
    assert.match(movers, /SOL-USDT<\/td><td class="ok num">\+12\.50%<\/td><td class="num">0\.00001234</);
    assert.match(movers, /XRP-USDT<\/td><td class="bad num">-3\.25%/);
    assert.match(
      tbody(dom, 'trending'),
      /<td class="">1<\/td><td class="">PEPE-USDT<\/td><td class="num">0\.750</,
    );
  });

  it('shows a placeholder without a batch layer', async () => {
    const dom = await renderedDom(createFakeDeps(series(5)).deps);
    for (const id of ['movers', 'trending']) {
      assert.match(
        tbody(dom, id),
        /^<tr class=""><td class="">—<\/td><td class=""><\/td><td class=""><\/td><\/tr>$/,
        id,
      );
    }
  });
});
