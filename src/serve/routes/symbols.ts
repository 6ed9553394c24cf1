import { knownSeries } from '../catalogue.js';
import type { ResourcePlugin } from '../context.js';
import { ErrorResponseSchema, SymbolsResponseSchema } from '../schemas.js';

/**
 * `GET /api/v1/symbols`: every series with candles, in the speed view or the batch views,
 * ordered by venue then symbol.
 */
export const symbolsRoutes: ResourcePlugin = async (app, { deps }) => {
  app.get(
    '/api/v1/symbols',
    {
      schema: {
        summary: 'Symbols with candles',
        tags: ['market data'],
        response: { 200: SymbolsResponseSchema, 500: ErrorResponseSchema },
      },
    },
    async () => ({ symbols: await knownSeries(deps) }),
  );
};
