import { CryptoLambdaError } from '../domain/index.js';
import { BATCH_ERRORS } from './errors.js';
import type { BatchJobDef } from './job.js';

/**
 * The jobs in an order where every job comes after the jobs it depends on (Kahn's algorithm,
 * ties in declaration order).
 * @throws CryptoLambdaError `BATCH_BAD_DAG` on an unknown dependency, a duplicate name or a cycle.
 */
export function topologicalOrder(jobs: readonly BatchJobDef[]): BatchJobDef[] {
  const byName = new Map<string, BatchJobDef>();
  for (const job of jobs) {
    if (byName.has(job.name))
      throw new CryptoLambdaError(BATCH_ERRORS.badDag, `two jobs are named "${job.name}"`);
    byName.set(job.name, job);
  }
  for (const job of jobs) {
    for (const dep of job.dependsOn) {
      if (!byName.has(dep)) {
        throw new CryptoLambdaError(BATCH_ERRORS.badDag, `job "${job.name}" depends on unknown job "${dep}"`);
      }
    }
  }
  const done = new Set<string>();
  const order: BatchJobDef[] = [];
  while (order.length < jobs.length) {
    const ready = jobs.find((j) => !done.has(j.name) && j.dependsOn.every((d) => done.has(d)));
    if (ready === undefined) {
      const left = jobs.filter((j) => !done.has(j.name)).map((j) => j.name);
      throw new CryptoLambdaError(
        BATCH_ERRORS.badDag,
        `jobs ${left.join(', ')} depend on each other in a cycle`,
      );
    }
    done.add(ready.name);
    order.push(ready);
  }
  return order;
}
