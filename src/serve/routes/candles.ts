import { findSeries } from '../catalogue.js';
import type { ResourcePlugin } from '../context.js';
import { invalidParameter } from '../errors.js';
import { downtimeGaps } from '../gaps.js';
import { readMergedCandles } from '../merge.js';
import { parseTimeParam } from '../params.js';
import { CandlesQuerySchema, CandlesResponseSchema, ErrorResponseSchema } from '../schemas.js';

/**
 * `GET /api/v1/candles`: candles of one series, oldest first.
 *
 * - `symbol` (required): `BTC-USDT`; `BTCUSDT` and lower case are resolved against known symbols.
 * - `interval` (required): `1m 5m 15m 1h 4h 1d`.
 * - `venue`: default the venue listing the symbol (`defaultVenue`, `binance`, first when several do).
 * - `from`, `to`: inclusive bucket open times, integer ms or ISO-8601 with a zone; `from ≤ to`.
 * - `limit`: 1..10000, default 500; a larger range returns its newest `limit` candles.
 *
 * Buckets that end at or before the batch watermark come from the batch view (`source: 'batch'`,
 * `state: 'closed'`), the rest from the speed view (`source: 'speed'`); the batch candle wins where
 * both have a bucket. `from`/`to`/`limit` mean the same with or without the merge: the newest
 * `limit` buckets of `[from, to]`; without `from`, the newest `limit` up to `to` (or up to the
 * newest candle). See `merge.ts` for the window the batch view is asked for. Both watermarks are
 * the series' own: `watermarks.batch` is null without a batch layer or before a batch job has
 * processed an hour of the series; `watermarks.speed` null before its first trade in the speed
 * layer.
 *
 * `gaps` lists where the pipeline was not running among empty candles of the answer (see
 * `gaps.ts`): a flat candle there is downtime, not a quiet market.
 *
 * A series is known when the speed view or the batch views hold it, found by key
 * (`findSeries`): a request costs the same whatever the number of symbols. An unknown
 * symbol is 404 `UNKNOWN_SYMBOL` (field `symbol`), an unknown venue 404 `UNKNOWN_VENUE` (field
 * `venue`); a known series with nothing in range is 200 with an empty list.
 */
export const candlesRoutes: ResourcePlugin = async (app, { deps, options }) => {
  app.get(
    '/api/v1/candles',
    {
      schema: {
        summary: 'Candles of one series',
        tags: ['market data'],
        querystring: CandlesQuerySchema,
        response: {
          200: CandlesResponseSchema,
          400: ErrorResponseSchema,
          404: ErrorResponseSchema,
          500: ErrorResponseSchema,
          503: ErrorResponseSchema,
        },
      },
    },
    async (request) => {
      const query = request.query;
      const from = query.from === undefined ? undefined : parseTimeParam('from', query.from);
      const to = query.to === undefined ? undefined : parseTimeParam('to', query.to);
      if (from !== undefined && to !== undefined && from > to) {
        throw invalidParameter('from', `"from" (${from}) must not be after "to" (${to})`);
      }
      const info = await findSeries(deps, query, options.defaultVenue);
      const series = { venue: info.venue, symbol: info.symbol, interval: query.interval };
      const { candles, batchWatermarkTs } = await readMergedCandles(deps.candles, deps.batch, {
        ...series,
        limit: query.limit,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
      });
      const speed = deps.candles.watermarkTs(series.venue, series.symbol) ?? null;
      const gaps = downtimeGaps(candles, deps.uptime);
      return { ...series, candles, watermarks: { speed, batch: batchWatermarkTs }, gaps };
    },
  );
};
