import type { ResourcePlugin } from '../context.js';
import { requireBatch } from '../errors.js';
import { BATCH_ERROR_RESPONSES, TrendingQuerySchema, TrendingResponseSchema } from '../schemas.js';

/**
 * `GET /api/v1/trending?limit=1..100`: the latest hour's trending scores from the batch layer,
 * rank 1 first (default 10), each with its components. `hourTs` is the hour scored, null before
 * the first run. Without a batch layer, 503 `BATCH_UNAVAILABLE`.
 */
export const trendingRoutes: ResourcePlugin = async (app, { deps }) => {
  app.get(
    '/api/v1/trending',
    {
      schema: {
        summary: 'Trending symbols of the latest hour, with the components of their score',
        tags: ['analytics'],
        querystring: TrendingQuerySchema,
        response: {
          200: TrendingResponseSchema,
          ...BATCH_ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { limit } = request.query;
      const trending = await requireBatch(deps.batch).trending(limit);
      return { hourTs: trending[0]?.hourTs ?? null, trending: trending.slice(0, limit) };
    },
  );
};
