import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { AGG_TRADES_CSV_GZ, fixtureLines } from '../fixtures.js';

/** A temporary folder for files made from the fixtures; `cleanup` removes it. */
export function tempDir(): {
  path(name: string): string;
  write(name: string, lines: string[]): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'crypto-lambda-ingest-'));
  return {
    path: (name) => join(dir, name),
    write(name, lines) {
      const file = join(dir, name);
      const text = `${lines.join('\n')}\n`;
      writeFileSync(file, name.endsWith('.gz') ? gzipSync(text) : text);
      return file;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The real aggTrades dump's data rows, split into columns. */
export function aggRows(): string[][] {
  return fixtureLines(AGG_TRADES_CSV_GZ)
    .slice(1)
    .map((line) => line.split(','));
}

/**
 * The same trades in the data.binance.vision trades layout
 * (`id,price,qty,quote_qty,time,is_buyer_maker,is_best_match`), the aggregate's first trade id
 * as id. The prices and sizes stay the real ones.
 */
export function tradesLayout(rows: string[][], timeScale = 1): string[] {
  return rows.map(([, price, qty, first, , time, maker, best]) => {
    const quote = (Number(price) * Number(qty)).toFixed(8);
    return [first, price, qty, quote, String(Number(time) * timeScale), maker, best].join(',');
  });
}
