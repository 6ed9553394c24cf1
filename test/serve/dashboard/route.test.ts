import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chartLibraryPath } from '../../../src/serve/dashboard/route.js';
import { buildServer, type ServeApp } from '../../../src/serve/index.js';
import { createFakeDeps } from '../fake-deps.js';

describe('dashboard', () => {
  let app: ServeApp;
  before(async () => {
    app = buildServer(createFakeDeps().deps, { processMetrics: false });
    await app.ready();
  });
  after(() => app.close());

  it('serves the page at /, loading the chart library and the view', async () => {
    const response = await app.inject('/');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    assert.match(response.body, /<script src="\/assets\/lightweight-charts.js"><\/script>/);
    assert.match(response.body, /<script type="module" src="\/dashboard\/view.js"><\/script>/);
    for (const id of ['symbol', 'interval', 'chart', 'figures', 'sources', 'reasons', 'movers', 'trending']) {
      assert.match(response.body, new RegExp(`id="${id}"`));
    }
  });

  it('serves the view and the model as JavaScript modules without source-map comments', async () => {
    const view = await app.inject('/dashboard/view.js');
    assert.equal(view.statusCode, 200);
    assert.match(String(view.headers['content-type']), /^text\/javascript/);
    assert.match(view.body, /from '\.\/model\.js'/);
    assert.ok(!view.body.includes('sourceMappingURL'));
    const model = await app.inject('/dashboard/model.js');
    assert.equal(model.statusCode, 200);
    assert.match(model.body, /export function applyCandle/);
    assert.ok(!/^import /m.test(model.body), 'the model has no runtime imports');
  });

  it('serves the standalone lightweight-charts build from node_modules', async () => {
    const response = await app.inject('/assets/lightweight-charts.js');
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/javascript/);
    assert.match(String(response.headers['cache-control']), /max-age/);
    assert.equal(response.body, readFileSync(chartLibraryPath(), 'utf8'));
    assert.match(response.body, /LightweightCharts/);
  });

  it('can be left out', async () => {
    const bare = buildServer(createFakeDeps().deps, { processMetrics: false, dashboard: false });
    try {
      assert.equal((await bare.inject('/')).statusCode, 404);
      assert.equal((await bare.inject('/api/v1/symbols')).statusCode, 200);
    } finally {
      await bare.close();
    }
  });
});
