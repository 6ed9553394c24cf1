import type { ResourcePlugin } from '../context.js';
import {
  ErrorResponseSchema,
  RejectedQuerySchema,
  RejectedResponseSchema,
  SystemStatusSchema,
} from '../schemas.js';

/**
 * `GET /api/v1/system/status` and `GET /api/v1/rejected`: pipeline health and bad input. The
 * status is `deps.status()` with the batch layer's (`batch`: watermark, last run of each job,
 * lake size), null when the process runs without a batch layer.
 */
export const systemRoutes: ResourcePlugin = async (app, { deps }) => {
  app.get(
    '/api/v1/system/status',
    {
      schema: {
        summary: 'Pipeline status: sources, speed-layer lag and watermarks, rejected counts, batch layer',
        tags: ['system'],
        response: { 200: SystemStatusSchema, 500: ErrorResponseSchema },
      },
    },
    async () => ({ ...deps.status(), batch: deps.batch?.status() ?? null }),
  );

  app.get(
    '/api/v1/rejected',
    {
      schema: {
        summary: 'The newest rejected records, newest first',
        tags: ['system'],
        querystring: RejectedQuerySchema,
        response: { 200: RejectedResponseSchema, 400: ErrorResponseSchema, 500: ErrorResponseSchema },
      },
    },
    async (request) => ({ rejected: deps.rejected.recent(request.query.limit) }),
  );
};
