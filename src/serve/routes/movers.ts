import type { ResourcePlugin } from '../context.js';
import { requireBatch } from '../errors.js';
import { BATCH_ERROR_RESPONSES, MoversQuerySchema, MoversResponseSchema } from '../schemas.js';

/**
 * `GET /api/v1/movers?period=1h|24h|7d&type=gainers|losers&limit=1..100`: the top movers of the
 * newest day the batch layer has ranked (by day: a replayed old day never hides today's), rank 1
 * first (defaults: `24h`, `gainers`, 10). Every series trading at `asOfTs` is ranked; one with
 * less history than the period is ranked on its change since its first candle within it, with
 * `partial: true` and that candle's open time as `fromTs` (see `batch/jobs/movers.ts`). `asOfTs`
 * is the end of the period ranked, null before the first run. Without a batch layer, 503
 * `BATCH_UNAVAILABLE`.
 */
export const moversRoutes: ResourcePlugin = async (app, { deps }) => {
  app.get(
    '/api/v1/movers',
    {
      schema: {
        summary:
          'Top gainers or losers over 1h, 24h or 7d (a series younger than the period: since its first candle, partial)',
        tags: ['analytics'],
        querystring: MoversQuerySchema,
        response: {
          200: MoversResponseSchema,
          ...BATCH_ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { period, type, limit } = request.query;
      const movers = await requireBatch(deps.batch).movers(period, type, limit);
      return { period, type, asOfTs: movers[0]?.asOfTs ?? null, movers: movers.slice(0, limit) };
    },
  );
};
