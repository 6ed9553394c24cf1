import type { Dirent } from 'node:fs';
import { readdir, unlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/**
 * Deletes every file under `lakeDir/<subdir>` for which `drop` is true (given its path relative
 * to `lakeDir`, with `/` separators): leftovers of writes that never committed. Returns the
 * deleted paths.
 * @example await sweepFiles(lakeDir, ['silver'], (rel) => !listed.has(rel));
 */
export async function sweepFiles(
  lakeDir: string,
  subdirs: readonly string[],
  drop: (relPath: string) => boolean,
): Promise<string[]> {
  const deleted: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else {
        const rel = relative(lakeDir, full).split(sep).join('/');
        if (drop(rel)) {
          await unlink(full).catch(() => undefined);
          deleted.push(rel);
        }
      }
    }
  };
  for (const subdir of subdirs) await walk(join(lakeDir, subdir));
  return deleted;
}
