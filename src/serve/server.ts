import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifyWebsocket from '@fastify/websocket';
import Fastify from 'fastify';
import type { ServeApp, ServeContext } from './context.js';
import { dashboardRoutes } from './dashboard/route.js';
import type { ServeDeps } from './deps.js';
import { routeNotFound, toHttpError } from './errors.js';
import { compileJsonWriter } from './json.js';
import { type BuildServerOptions, resolveServeOptions } from './options.js';
import { candlesRoutes } from './routes/candles.js';
import { healthRoutes } from './routes/health.js';
import { marketsRoutes } from './routes/markets.js';
import { installMetrics } from './routes/metrics.js';
import { moversRoutes } from './routes/movers.js';
import { qualityRoutes } from './routes/quality.js';
import { runsRoutes } from './routes/runs.js';
import { symbolsRoutes } from './routes/symbols.js';
import { systemRoutes } from './routes/system.js';
import { trendingRoutes } from './routes/trending.js';
import { createHub } from './ws/hub.js';
import { wsRoutes } from './ws/route.js';

/**
 * Assembles the HTTP + WebSocket server: `/health`, `/metrics`, `/api/v1/*` (documented at
 * `/docs`, OpenAPI at `/docs/json`), `/ws` and the dashboard at `/`. The server does not listen;
 * call `listen` (or `inject` in tests). Options are validated here, once; a bad one throws
 * `INVALID_OPTIONS`.
 *
 * @example
 * const app = buildServer(deps, { logger: pino() });
 * await app.listen({ port: 8080, host: '0.0.0.0' });
 */
export function buildServer(deps: ServeDeps, options: BuildServerOptions = {}): ServeApp {
  const resolved = resolveServeOptions(options);
  const app = Fastify({
    // Without an instance fastify logs nothing.
    loggerInstance: resolved.logger,
    bodyLimit: resolved.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true },
    // Unknown query parameters are refused (400 naming them) rather than silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Every response schema's body is written by `json.ts`: numbers at the house precision, never
  // in exponent notation. (A reply serializer would take over from these; bodies without a
  // schema, the 404 of an unknown route, hold no numbers.)
  app.setSerializerCompiler(({ schema }) => compileJsonWriter(schema));
  const context: ServeContext = { deps, options: resolved };
  const hub = createHub(deps, resolved.ws, app.log, resolved.defaultVenue);

  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toHttpError(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = routeNotFound(request.method, request.url);
    return reply.code(status).send(body);
  });
  app.addHook('onClose', async () => hub.close());

  installMetrics(app, context, hub.stats);
  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'crypto-lambda API',
        description:
          'Candles (speed and batch views merged at the batch watermark), symbols, batch analytics and ' +
          'pipeline status. Errors: `{ "error": { "code", "message", "field" } }`; batch endpoints answer ' +
          '503 `BATCH_UNAVAILABLE` when the process runs without a batch layer.',
        version: '1',
      },
      tags: [
        { name: 'market data', description: 'Candles and symbols' },
        { name: 'analytics', description: 'Batch views: daily metrics, movers, trending' },
        { name: 'batch', description: 'Batch layer: data quality and job runs' },
        { name: 'system', description: 'Health and pipeline status' },
      ],
    },
  });
  app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.register(fastifyWebsocket, { options: { maxPayload: resolved.ws.maxPayloadBytes } });

  app.register(healthRoutes, context);
  app.register(symbolsRoutes, context);
  app.register(candlesRoutes, context);
  app.register(marketsRoutes, context);
  app.register(moversRoutes, context);
  app.register(trendingRoutes, context);
  app.register(qualityRoutes, context);
  app.register(runsRoutes, context);
  app.register(systemRoutes, context);
  app.register(wsRoutes, { ...context, hub });
  if (resolved.dashboard) app.register(dashboardRoutes, context);
  return app;
}
