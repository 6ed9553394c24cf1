import { randomUUID } from 'node:crypto';
import type { UnixMs } from '../domain/index.js';
import { type BronzeStore, createBronzeStore } from './bronze-store.js';
import { commitFlush, type ExternalCommit, type LakeChange } from './flush.js';
import { createIdChains } from './id-chains.js';
import type { LakeManifest } from './manifest.js';
import { openSilverStore, type SilverStore } from './silver-store.js';

/** What a commit records beside the files: where the consumers are, and how far venues got. */
export interface CommitCut {
  /** Per venue, hours ending at or before this get sealed. */
  sealUntil: Map<string, UnixMs>;
  /** Bronze hours of receive time before this are sealed; `Infinity` seals all. */
  bronzeSealBeforeTs: UnixMs;
  /** Open hours (`hourKey`) a bulk load beside the writer is still filling: not sealed now. */
  held: ReadonlySet<string>;
  /** Per topic, the next offset per partition: what the staged rows came from. */
  offsets: Record<string, number[]>;
  venues: LakeManifest['venues'];
}

/**
 * The lake's stores and commits. Two sets of stores: while one commits in the background (DuckDB
 * writes Parquet on its own threads), the consumer stages into the other. Commits stay in order
 * and at most one is in flight: the next cut waits for the last commit.
 */
export interface LakeCommitter {
  /** Where the consumer stages now. */
  silver(): SilverStore;
  bronze(): BronzeStore;
  manifest(): LakeManifest;
  /**
   * Cuts what is staged and commits it. `waited`: the caller waits for this commit, nothing is
   * consumed meanwhile, and DuckDB gets two threads; in the background it gets one, leaving a
   * core to the consumer. Resolves once the commit has started (`waited`: once it is done).
   * @throws the error of an earlier failed commit.
   */
  commit(cut: () => CommitCut, waited: boolean): Promise<void>;
  /**
   * Runs a commit made outside the consumer (a bulk load's) after the one in flight, and takes its
   * manifest as the last committed one.
   */
  commitBeside(commit: ExternalCommit): Promise<{ changes: LakeChange[]; held: readonly string[] }>;
  onChange(listener: (changes: readonly LakeChange[]) => void): () => void;
  /** Called with each committed manifest (the writer's own and those beside it). */
  onCommitted(listener: (manifest: LakeManifest) => void): void;
  close(): Promise<void>;
}

export interface LakeCommitterOptions {
  lakeDir: string;
  garbageGraceMs: number;
  clock: () => UnixMs;
}

export async function openLakeCommitter(
  initial: LakeManifest,
  options: LakeCommitterOptions,
): Promise<LakeCommitter> {
  const chains = createIdChains(randomUUID());
  let manifest = initial;
  let silver: SilverStore = await openSilverStore(chains);
  let spareSilver: SilverStore = await openSilverStore(chains);
  let bronze: BronzeStore = createBronzeStore();
  let spareBronze: BronzeStore = createBronzeStore();
  let committing: Promise<void> = Promise.resolve();
  let commitError: unknown;
  const listeners = new Set<(changes: readonly LakeChange[]) => void>();
  const committedListeners: ((manifest: LakeManifest) => void)[] = [];

  const committed = (result: { manifest: LakeManifest; changes: LakeChange[] }): void => {
    manifest = result.manifest;
    for (const listener of committedListeners) listener(manifest);
    // A sealed hour's later trades are compacted with dedupe: its chains are done with.
    for (const change of result.changes) chains.forget(change.venue, change.hourTs);
    if (result.changes.length > 0) for (const listener of listeners) listener(result.changes);
  };

  const start = async (cut: () => CommitCut, waited: boolean): Promise<void> => {
    await committing;
    if (commitError !== undefined) throw commitError;
    const nowMs = options.clock();
    const plan = { ...cut(), lakeDir: options.lakeDir, nowMs, garbageGraceMs: options.garbageGraceMs };
    const cutSilver = silver;
    const cutBronze = bronze;
    [silver, spareSilver] = [spareSilver, silver];
    [bronze, spareBronze] = [spareBronze, bronze];
    committing = cutSilver
      .useThreads(waited ? 2 : 1)
      .then(() => commitFlush(manifest, cutSilver, cutBronze, plan))
      .then(committed, (error: unknown) => {
        commitError ??= error;
      });
  };

  return {
    silver: () => silver,
    bronze: () => bronze,
    manifest: () => manifest,
    async commitBeside(commit) {
      await committing;
      if (commitError !== undefined) throw commitError;
      const result = await commit(manifest, { garbageGraceMs: options.garbageGraceMs });
      committed(result);
      return { changes: result.changes, held: result.held ?? [] };
    },
    async commit(cut, waited) {
      await start(cut, waited);
      if (!waited) return;
      await committing;
      if (commitError !== undefined) throw commitError;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onCommitted(listener) {
      committedListeners.push(listener);
    },
    async close() {
      await committing;
      silver.close();
      spareSilver.close();
    },
  };
}
