import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type DumpProgress,
  openRejectedAppender,
  type RejectedAppender,
  type ReplayInfo,
  readDump,
} from '../ingest/index.js';
import {
  type BulkCommit,
  type BulkDump,
  type BulkLoader,
  type BulkSeal,
  type LakeWriter,
  openBulkLoader,
} from '../lake/index.js';
import type { EventLog } from '../log/index.js';
import type { Output } from './output.js';
import { startProgress } from './progress.js';

/**
 * Loads data.binance.vision dumps into the lake for `backfill`, beside the pipeline rather than
 * through it: each file is read straight into the lake's column staging (`readDump`), its
 * rejected rows go to the log's `rejected` topic (once each, before the commit that covers
 * their lines), and the lake commits with its own discipline (`openBulkLoader`). History is
 * the batch layer's: the speed layer never sees these trades.
 */
/** Rejections held before they are appended to the log (they are appended at each commit too). */
const MAX_HELD_REJECTIONS = 10_000;

export interface DumpLoading {
  /**
   * Loads one unit of files (a day's, or the files that name no day), reporting each file,
   * then commits and seals as `seal` says. Files the lake holds already are skipped. Resolves
   * once the files are read; `committed` once the unit is in the lake (its last commit runs in
   * the background, beside the next unit's reading).
   */
  load(
    label: string,
    files: readonly ReplayInfo[],
    seal: BulkSeal,
  ): Promise<{ committed: Promise<UnitTotals> }>;
  /** Files read by this run of which every row was rejected: no trade came out of them. */
  whollyRejected(): readonly string[];
  close(): Promise<void>;
}

export interface UnitTotals {
  /** Trades read from the files (this run). */
  read: number;
  /** Trades committed to silver by this unit's commits (read by this run, or staged before a crash). */
  staged: number;
  /** Of those, trades new to silver (the others were there already). */
  added: number;
  rejected: number;
  /** Hours sealed by the unit's commits. */
  sealedHours: number;
}

export async function openDumpLoading(
  log: EventLog,
  lake: LakeWriter,
  lakeDir: string,
  out: Output,
  options: { flushRows?: number } = {},
): Promise<DumpLoading> {
  const loader = await openBulkLoader(
    lake,
    lakeDir,
    options.flushRows === undefined ? {} : { flushRows: options.flushRows },
  );
  const rejects = await openRejectedAppender(log);
  /** The commits of the unit being loaded (each resolves once committed). */
  let unitCommits: Promise<BulkCommit>[] = [];
  const whollyRejected: string[] = [];
  // Rejections first, then the cut whose commit says their lines are loaded: a crash in between
  // re-reads lines whose rejections the appender then recognises.
  const commit = async (seal?: BulkSeal): Promise<void> => {
    await rejects.flush();
    const { done } = await loader.commit(seal);
    done.catch(() => undefined);
    unitCommits.push(done);
  };
  return {
    async load(label, files, seal) {
      unitCommits = [];
      let read = 0;
      let rejected = 0;
      for (const [i, info] of files.entries()) {
        const dump = await loader.openDump(info.path);
        const name = basename(info.path);
        if (dump.done) {
          out.stderr(
            `${label} ${name}: loaded before (${dump.entry.trades} trades, ${dump.entry.rejected} rejected), skipped\n`,
          );
          continue;
        }
        const progress = await loadFile(info, dump, loader, rejects, commit, (p, bytes) =>
          fileLine(`${label} file ${i + 1}/${files.length} ${name}`, p, bytes),
        );
        read += progress.trades;
        rejected += progress.rejected;
        // Only a file read from its first line: a resumed one's rest says nothing of the whole.
        if (dump.fromLine === 0 && progress.trades === 0 && progress.rejected > 0)
          whollyRejected.push(info.path);
        const resumed = dump.fromLine > 0 ? ` (resumed after line ${dump.fromLine})` : '';
        out.stderr(`${label} ${name}: ${progress.trades} trades, ${progress.rejected} rejected${resumed}\n`);
      }
      await commit(seal);
      const commits = unitCommits;
      const committed = Promise.all(commits).then((results) => ({
        read,
        rejected,
        staged: results.reduce((n, r) => n + r.staged, 0),
        added: results.reduce((n, r) => n + r.added, 0),
        sealedHours: results.reduce((n, r) => n + r.changes.filter((c) => c.kind === 'sealed').length, 0),
      }));
      committed.catch(() => undefined);
      return { committed };
    },
    whollyRejected: () => whollyRejected,
    close: () => loader.close(),
  };

  async function loadFile(
    info: ReplayInfo,
    dump: BulkDump,
    loader: BulkLoader,
    rejectedLog: RejectedAppender,
    commitNow: () => Promise<void>,
    describe: (p: Readonly<DumpProgress>, bytes: number) => string,
  ): Promise<DumpProgress> {
    const bytes = (await stat(info.path)).size;
    let shown: Readonly<DumpProgress> = { line: dump.fromLine, bytesRead: 0, trades: 0, rejected: 0 };
    const before = { trades: dump.entry.trades, rejected: dump.entry.rejected };
    const progress = startProgress(out, () => describe(shown, bytes));
    try {
      const done = await readDump(
        info,
        {
          fields: (f) => loader.pushFields(f),
          trade: (t) => loader.pushTrade(t),
          rejected: (r) => rejectedLog.add(r),
        },
        {
          fromLine: dump.fromLine,
          onChunk: async (p) => {
            shown = p;
            // A file of garbage stages nothing: its rejections must not pile up until the end.
            if (rejectedLog.pending() >= MAX_HELD_REJECTIONS) await rejectedLog.flush();
            if (!loader.flushDue()) return;
            dump.progress(p.line, before.trades + p.trades, before.rejected + p.rejected, false);
            await commitNow();
          },
        },
      );
      dump.progress(done.line, before.trades + done.trades, before.rejected + done.rejected, true);
      return done;
    } finally {
      progress.stop();
    }
  }
}

function fileLine(what: string, p: Readonly<DumpProgress>, bytes: number): string {
  const percent = bytes > 0 ? Math.min(100, Math.floor((100 * p.bytesRead) / bytes)) : 100;
  return `${what}: ${percent}% of ${(bytes / 1048576).toFixed(1)} MiB, line ${p.line}, ${p.trades} trades, ${p.rejected} rejected`;
}
