import type { ResourcePlugin } from '../context.js';
import { HealthResponseSchema } from '../schemas.js';

/** `GET /health`: liveness; answers without touching the pipeline. */
export const healthRoutes: ResourcePlugin = async (app) => {
  const startedAtMs = Date.now();
  app.get(
    '/health',
    {
      schema: {
        summary: 'Liveness',
        tags: ['system'],
        response: { 200: HealthResponseSchema },
      },
    },
    async () => {
      const ts = Date.now();
      return { status: 'ok' as const, ts, uptimeMs: ts - startedAtMs };
    },
  );
};
