import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ResourcePlugin } from '../context.js';
import { DASHBOARD_HTML } from './page.js';

const JS = 'text/javascript; charset=utf-8';

/** The standalone build of lightweight-charts (it defines `window.LightweightCharts`), found through node's resolver. */
export function chartLibraryPath(): string {
  const require = createRequire(import.meta.url);
  const packageJson = require.resolve('lightweight-charts/package.json');
  return join(dirname(packageJson), 'dist', 'lightweight-charts.standalone.production.js');
}

/** A compiled sibling module, without its source-map comment (the maps are not served). */
async function siblingModule(name: string): Promise<string> {
  const text = await readFile(new URL(`./${name}`, import.meta.url), 'utf8');
  return text.replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
}

/**
 * The dashboard: `/` (the page), `/dashboard/view.js` and `/dashboard/model.js` (the compiled
 * view and model, served from beside this file) and `/assets/lightweight-charts.js`. Files are
 * read once, at start.
 */
export const dashboardRoutes: ResourcePlugin = async (app) => {
  const [view, model, chartLibrary] = await Promise.all([
    siblingModule('view.js'),
    siblingModule('model.js'),
    readFile(chartLibraryPath()),
  ]);
  const hide = { schema: { hide: true, summary: 'Dashboard' } };

  app.get('/', hide, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(DASHBOARD_HTML),
  );
  app.get('/dashboard/view.js', hide, async (_request, reply) =>
    reply.type(JS).header('cache-control', 'no-cache').send(view),
  );
  app.get('/dashboard/model.js', hide, async (_request, reply) =>
    reply.type(JS).header('cache-control', 'no-cache').send(model),
  );
  app.get('/assets/lightweight-charts.js', hide, async (_request, reply) =>
    reply.type(JS).header('cache-control', 'public, max-age=86400').send(chartLibrary),
  );
};
