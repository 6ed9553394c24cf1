import type { ResourcePlugin } from '../context.js';
import { requireBatch } from '../errors.js';
import { parseDateParam } from '../params.js';
import { BATCH_ERROR_RESPONSES, DailyQuerySchema, DailyResponseSchema } from '../schemas.js';

/**
 * `GET /api/v1/markets/daily?date=YYYY-MM-DD`: every symbol's daily metrics for a UTC day, from
 * the batch layer; the latest computed day without `date`. `date` is null (and the list empty)
 * before the first run. A malformed or impossible day is 400 (field `date`); without a batch
 * layer, 503 `BATCH_UNAVAILABLE`.
 */
export const marketsRoutes: ResourcePlugin = async (app, { deps }) => {
  app.get(
    '/api/v1/markets/daily',
    {
      schema: {
        summary: 'Daily market metrics of every symbol for a UTC day (default: the latest day)',
        tags: ['analytics'],
        querystring: DailyQuerySchema,
        response: {
          200: DailyResponseSchema,
          ...BATCH_ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const date = parseDateParam('date', request.query.date);
      const markets = await requireBatch(deps.batch).daily(date);
      return { date: date ?? markets[0]?.date ?? null, markets };
    },
  );
};
