import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CryptoLambdaError } from '../../domain/index.js';
import {
  ensureTopics,
  type LogRepairReport,
  type LostRange,
  repairFileLog,
  TOPICS,
} from '../../log/index.js';
import { CLI_ERRORS, parseCommandArgs } from '../args.js';
import type { Output } from '../output.js';
import { repairLakeManifest, repairPositions, repairSpeedCheckpoint } from '../repair-derived.js';

export const REPAIR_HELP = `Usage: crypto-lambda repair [--data-dir <dir>]

Repairs a data directory that \`start\` or \`replay\` refused because something in it is damaged
(a log segment, the speed checkpoint, the log writer's positions, the lake manifest), and says
exactly what was lost. Nothing is deleted: every damaged file is moved under
<dir>/damaged/<time>/, in the same place relative to the data directory.

  - every record of every log segment is checked (a start checks only what a crash can tear);
    a damaged segment is rewritten with every whole record it still holds: records lost inside
    a partition leave a gap that readers skip, so the offsets after them stay where they were;
    records lost at a partition's end are cut off
  - a speed checkpoint that is not one is set aside: the speed layer rebuilds from the log
  - a lake manifest that is not one is rebuilt from the lake's Parquet and bronze files
  - a positions file that is not one is rebuilt from the raw topic (each source batch's position)
  - a consumer whose offset lies past its partition's end is set back to the end, and said so

Stop every crypto-lambda process on the directory first. Running it again changes nothing.

Options:
  --data-dir <dir>    the data directory (default: $DATA_DIR or ./data)
  -h, --help          this help

Example:
  crypto-lambda repair --data-dir ./data`;

export async function repairCommand(args: string[], env: { dataDir: string }, out: Output): Promise<number> {
  const { values } = parseCommandArgs('repair', args, { 'data-dir': { type: 'string' } });
  if (values.help) {
    out.stdout(`${REPAIR_HELP}\n`);
    return 0;
  }
  const dataDir = values['data-dir'] ?? env.dataDir;
  if (!existsSync(join(dataDir, 'log'))) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `${dataDir} has no log: it is not a data directory of crypto-lambda (pass the one start or replay used with --data-dir)`,
    );
  }
  const asideDir = join(dataDir, 'damaged', new Date().toISOString().replace(/[:.]/g, '-'));
  const { log, report, cutBack } = await repairFileLog({ dir: join(dataDir, 'log') }, join(asideDir, 'log'));
  const derived: string[] = [];
  try {
    await ensureTopics(log, Object.values(TOPICS));
    const ctx = { dataDir, asideDir, log, lost: report.lost, cutBack };
    derived.push(...(await repairSpeedCheckpoint(ctx)));
    derived.push(...(await repairLakeManifest(ctx)));
    derived.push(...(await repairPositions(ctx)));
  } finally {
    await log.close();
  }
  out.stdout(`${describeRepair(dataDir, report, derived)}\n`);
  return 0;
}

function describeRange(range: LostRange): string {
  const to = range.toOffset === undefined ? 'its end' : String(range.toOffset - 1);
  const records =
    range.toOffset === undefined && range.records === undefined
      ? 'how many is not known: they were written after the last sync'
      : `${range.records} records${range.toOffset === undefined ? ', at least' : ''}`;
  return (
    `  ${range.topic} partition ${range.partition}: offsets ${range.fromOffset} to ${to} (${records}); ` +
    `${range.reason} at byte ${range.position} of ${range.path}`
  );
}

function describeRepair(dataDir: string, report: LogRepairReport, derived: readonly string[]): string {
  const { lost, movedAside, rewound } = report;
  if (lost.length + movedAside.length + rewound.length + derived.length === 0) {
    return `crypto-lambda repair: nothing is damaged in ${dataDir}; nothing was changed.`;
  }
  const lines = [`crypto-lambda repair: ${dataDir}`];
  lines.push(lost.length === 0 ? 'the log: every record is whole' : 'lost from the log:');
  for (const range of lost) lines.push(describeRange(range));
  if (movedAside.length > 0) lines.push('set aside (nothing was deleted):');
  for (const { from, to } of movedAside) lines.push(`  ${from} → ${to}`);
  for (const r of rewound) {
    lines.push(
      `consumer group ${r.group}: ${r.topic} partition ${r.partition} set back from ${r.from} to ${r.to}, the log's end`,
    );
  }
  lines.push(...derived);
  lines.push(`done: crypto-lambda start and replay can use ${dataDir} again.`);
  return lines.join('\n');
}
