import type { ResourcePlugin } from '../context.js';
import { requireBatch } from '../errors.js';
import { BATCH_ERROR_RESPONSES, RunsQuerySchema, RunsResponseSchema } from '../schemas.js';

/**
 * Runs read from the history when filtering by job, so that a job that runs rarely still lists
 * its own recent runs among many runs of other jobs.
 */
const RUNS_SCANNED_FOR_JOB = 5_000;

/**
 * `GET /api/v1/batch/runs?limit=1..500&job=<name>`: batch job runs, newest first (default 50);
 * with `job`, only that job's runs (among the newest 5 000 runs of all jobs). Without a batch
 * layer, 503 `BATCH_UNAVAILABLE`.
 */
export const runsRoutes: ResourcePlugin = async (app, { deps }) => {
  app.get(
    '/api/v1/batch/runs',
    {
      schema: {
        summary: 'Batch job runs, newest first',
        tags: ['batch'],
        querystring: RunsQuerySchema,
        response: {
          200: RunsResponseSchema,
          ...BATCH_ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const { limit, job } = request.query;
      const batch = requireBatch(deps.batch);
      if (job === undefined) return { runs: (await batch.runs(limit)).slice(0, limit) };
      const runs = await batch.runs(Math.max(limit, RUNS_SCANNED_FOR_JOB));
      return { runs: runs.filter((r) => r.job === job).slice(0, limit) };
    },
  );
};
