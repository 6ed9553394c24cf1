import type { QualityCheck, QualityStatus } from '../../domain/index.js';
import type { ResourcePlugin } from '../context.js';
import { requireBatch } from '../errors.js';
import { parseDateParam } from '../params.js';
import { BATCH_ERROR_RESPONSES, QualityQuerySchema, QualityResponseSchema } from '../schemas.js';

const SEVERITY: Readonly<Record<QualityStatus, number>> = { pass: 0, warn: 1, fail: 2 };

/** The worst status among `checks`; `pass` when there are none. */
export function worstStatus(checks: readonly QualityCheck[]): QualityStatus {
  let worst: QualityStatus = 'pass';
  for (const check of checks) if (SEVERITY[check.status] > SEVERITY[worst]) worst = check.status;
  return worst;
}

/**
 * `GET /api/v1/quality?date=YYYY-MM-DD`: the data-quality checks of the latest quality run (or of
 * `date`) and their worst status. `date` is null (checks empty, status `pass`) before the first
 * run. A malformed or impossible day is 400 (field `date`); without a batch layer, 503
 * `BATCH_UNAVAILABLE`.
 */
export const qualityRoutes: ResourcePlugin = async (app, { deps }) => {
  app.get(
    '/api/v1/quality',
    {
      schema: {
        summary: 'Data-quality checks of a UTC day (default: the latest run) and their worst status',
        tags: ['batch'],
        querystring: QualityQuerySchema,
        response: {
          200: QualityResponseSchema,
          ...BATCH_ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const date = parseDateParam('date', request.query.date);
      const checks = await requireBatch(deps.batch).quality(date);
      return { date: date ?? checks[0]?.date ?? null, status: worstStatus(checks), checks };
    },
  );
};
