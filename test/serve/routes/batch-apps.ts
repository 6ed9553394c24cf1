import { after, before } from 'node:test';
import { type BatchReader, buildServer, type ServeApp } from '../../../src/serve/index.js';
import { createFakeDeps } from '../fake-deps.js';

/**
 * For a `describe` block of a batch-view route: `app` serves with `reader` as the batch layer,
 * `bare` without one (every batch route answers 503 there). Both start before the tests and
 * close after them.
 */
export function useBatchApps(reader: BatchReader): { readonly app: ServeApp; readonly bare: ServeApp } {
  let app: ServeApp | undefined;
  let bare: ServeApp | undefined;
  before(async () => {
    const fake = createFakeDeps();
    fake.deps.batch = reader;
    app = buildServer(fake.deps, { processMetrics: false, dashboard: false });
    bare = buildServer(createFakeDeps().deps, { processMetrics: false, dashboard: false });
    await Promise.all([app.ready(), bare.ready()]);
  });
  after(() => Promise.all([app?.close(), bare?.close()]));
  const started = (server: ServeApp | undefined): ServeApp => {
    if (server === undefined) throw new Error('useBatchApps: the servers start in a before() hook');
    return server;
  };
  return {
    get app() {
      return started(app);
    },
    get bare() {
      return started(bare);
    },
  };
}
