import type { ResourcePlugin } from '../context.js';
import { ErrorResponseSchema, SymbolsResponseSchema } from '../schemas.js';

/** `GET /api/v1/symbols`: every series with candles, ordered by venue then symbol. */
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
    async () => {
      const symbols = [...deps.candles.symbols()].sort((a, b) =>
        a.venue === b.venue ? compare(a.symbol, b.symbol) : compare(a.venue, b.venue),
      );
      return { symbols };
    },
  );
};

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
