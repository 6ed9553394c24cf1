import { pipelineRate } from './throughput.js';

/** One pipeline run of a frames file (argv[2]) in a process of its own; prints a JSON line. */
const file = process.argv[2];
if (file === undefined) throw new Error('usage: symbols-child <frames file>');
const run = await pipelineRate(file, 'worker');
console.log(JSON.stringify({ ...run, rssMiB: Math.round(process.memoryUsage().rss / 1048576) }));
