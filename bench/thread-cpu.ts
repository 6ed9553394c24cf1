import { readdirSync, readFileSync } from 'node:fs';
import { pipelineRate } from './throughput.js';

/**
 * One pipeline run of a frames file (argv[2]) with the CPU time of each of this process's
 * threads, read from `/proc/self/task/<tid>/stat` before and after (Linux only). Wall-clock
 * rates vary by ±20% on a shared machine; a thread's CPU time says which thread grew. The parse
 * worker has exited when the run ends, so its time is not among them (profile it with
 * `--cpu-prof`). Prints one JSON line: the rate, and seconds of CPU per thread name (`main`, and
 * `node` for V8's helper threads: parallel scavenges, concurrent marking).
 *
 *   node dist/bench/thread-cpu.js <frames file>
 */
const CLOCK_TICKS_PER_SECOND = 100;

function threadCpuSeconds(): Map<string, { name: string; cpuSeconds: number }> {
  const out = new Map<string, { name: string; cpuSeconds: number }>();
  for (const tid of readdirSync('/proc/self/task')) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const name =
      tid === String(process.pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // Fields after the name: state is the first; utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(tid, { name, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND });
  }
  return out;
}

const file = process.argv[2];
if (file === undefined) throw new Error('usage: thread-cpu <frames file>');
const before = threadCpuSeconds();
const run = await pipelineRate(file, 'worker');
const byName: Record<string, number> = {};
for (const [tid, { name, cpuSeconds }] of threadCpuSeconds()) {
  const spent = cpuSeconds - (before.get(tid)?.cpuSeconds ?? 0);
  byName[name] = Math.round(((byName[name] ?? 0) + spent) * 100) / 100;
}
console.log(JSON.stringify({ tradesPerSec: Math.round(run.tradesPerSec), cpuSecondsByThread: byName }));
