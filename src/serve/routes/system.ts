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
 * lake size), null when the process runs without a batch layer. Both endpoints count rejected
 * records from one source, `deps.rejected` (the log's `rejected` topic): the status' `rejected`
 * is the `total`/`byReason` of `/api/v1/rejected`, which lists the newest `limit` of them.
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
    async () => ({ ...deps.status(), rejected: deps.rejected.counts(), batch: deps.batch?.status() ?? null }),
  );

  app.get(
    '/api/v1/rejected',
    {
      schema: {
        summary: 'Rejected records: their count by reason (as in the status) and the newest, newest first',
        tags: ['system'],
        querystring: RejectedQuerySchema,
        response: { 200: RejectedResponseSchema, 400: ErrorResponseSchema, 500: ErrorResponseSchema },
      },
    },
    async (request) => ({ ...deps.rejected.counts(), rejected: deps.rejected.recent(request.query.limit) }),
  );
};
