import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Compile } from 'typebox/compile';
import {
  REJECT_REASONS,
  type Rejected,
  RejectedSchema,
  type RejectReason,
  type Trade,
} from '../../src/domain/index.js';
import { binanceToCanonical, parseBinanceFrame } from '../../src/ingest/index.js';
import { type EventLog, forEachEvent, openFileLog, TOPICS, type TopicDef } from '../../src/log/index.js';
import { runCli } from '../cli/helpers.js';
import { fixtureLines, WS_CAPTURE_GZ, WS_JSONL } from '../ingest/fixtures.js';
import {
  innermost,
  type Json,
  mutateObject,
  pick,
  type Vocabulary,
} from '../ingest/venues/binance/mutators.js';
import { prng } from './synthetic.js';

/**
 * The pipeline-level fuzz: a file of 120,000 lines mutated from real Binance frames, with
 * untouched good frames among them, through the real `crypto-lambda replay` process. It must
 * exit 0, and the log must hold every good trade once and every bad line as a rejected record
 * with its reason, original line and origin; the counts must add up to the lines of the file.
 * (The parser alone is fuzzed in test/ingest/binance/fuzz.test.ts; mutations are ported from it.)
 */

const LINES = 120_000;
const SEED = 20240101;
/** Ids of good frames start here, far from the capture's ids, so no good frame is a duplicate. */
const GOOD_ID_BASE = 10_000_000_000;
const rejectedValidator = Compile(RejectedSchema);

type Random = () => number;

const jsonl = fixtureLines(WS_JSONL);
const capture = fixtureLines(WS_CAPTURE_GZ).filter((l) => l.trim() !== '');
const recorded = jsonl.map(
  (l) => JSON.parse(l) as { received_at: number; raw: { stream: string; data: Json } },
);
const aggTrades = recorded.filter((r) => r.raw.data['e'] === 'aggTrade');
const klines = jsonl.filter((l) => l.includes('"e":"kline"'));
/** The real lines the mutations start from: every recorded frame, trades or not. */
const seeds = [...jsonl, ...capture];

/** Event times that are wrong: zero, negative, seconds, fractions, the far future (µs or ms). */
const BAD_TIMES = [0, -1, 1, 1e3, 1618677373, 1618677373.5, 1e17, 1e20, 9e15, -1618677373912];
const BAD_PRICES = ['NaN', 'Infinity', '-1', '0', '', '-0.0', '0.00000000', 'x', '1e9', '-2.5'];
const UNKNOWN_SYMBOLS = ['', 'XXX', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZQQQ', 'USDT', '€€€', '   ', 'BTC-USDT'];
/** A good frame: a real aggTrade in one of its real envelopes, with a fresh id. */
function goodFrame(r: Random, id: number): string {
  const record = structuredClone(pick(r, aggTrades));
  record.raw.data['a'] = id;
  switch (Math.floor(r() * 4)) {
    case 0:
      return JSON.stringify(record);
    case 1:
      return JSON.stringify(record.raw);
    case 2:
      return JSON.stringify(record.raw.data);
    default:
      return `${record.received_at}: ${JSON.stringify(record.raw)}`;
  }
}

interface Mutation {
  line: string;
  /** The reason the line must earn: the damage alone decides it. */
  mustReject: RejectReason;
}

/** A real aggTrade frame damaged where the outcome is certain. */
function brokenTrade(r: Random): Mutation {
  const record = structuredClone(pick(r, aggTrades));
  const frame = record.raw.data;
  let mustReject: RejectReason;
  switch (Math.floor(r() * 4)) {
    case 0:
      frame['p'] = pick(r, BAD_PRICES);
      mustReject = 'invalid_price';
      break;
    case 1:
      frame['T'] = pick(r, BAD_TIMES);
      mustReject = 'invalid_time'; // or time_out_of_range: both are accepted below
      break;
    case 2:
      frame['s'] = pick(r, UNKNOWN_SYMBOLS);
      mustReject = 'unknown_symbol';
      break;
    default:
      delete frame[pick(r, ['s', 'a', 'p', 'q', 'f', 'l', 'T', 'm', 'E'])];
      mustReject = 'schema_mismatch';
  }
  return { line: JSON.stringify(record), mustReject };
}

/** Damage in the frames' own values, from the parser fuzz's mutators with this file's bad values. */
const VOCABULARY: Vocabulary = {
  prices: BAD_PRICES,
  times: [...BAD_TIMES, 1618677373912, 1618677373912000],
  symbols: UNKNOWN_SYMBOLS,
};

/**
 * Damage as text. Unlike the parser fuzz's `mutateText`, it never writes a newline (the line
 * would split in the file) and never a whitespace-only line (blank lines are their own kind here).
 */
function mutateText(r: Random, line: string): string {
  const at = Math.floor(r() * (line.length + 1));
  switch (Math.floor(r() * 7)) {
    case 0: {
      // Byte flip; a newline would split the line, so it becomes a space.
      let code = Math.floor(r() * 0x80) | (r() < 0.1 ? 0x2600 : 0);
      if (code === 10) code = 32;
      return line.slice(0, at) + String.fromCharCode(code) + line.slice(at + 1);
    }
    case 1:
      return line.slice(0, at);
    case 2:
      return line.slice(0, at) + line.slice(at + 1 + Math.floor(r() * 20));
    case 3:
      return line.slice(0, at) + line.slice(Math.floor(r() * line.length));
    case 4: {
      let garbage = '';
      for (let i = 1 + Math.floor(r() * 80); i > 0; i--)
        garbage += String.fromCharCode(32 + Math.floor(r() * 95));
      return garbage;
    }
    case 5: {
      const depth = 1 + Math.floor(r() * 5000);
      return r() < 0.5
        ? '['.repeat(depth) + ']'.repeat(depth)
        : `${'{"stream":"x","data":'.repeat(depth)}{}${'}'.repeat(depth)}`;
    }
    default:
      return `${line.slice(0, at)}"${line.slice(at)}`;
  }
}

type Kind = 'good' | 'blank' | 'quiet' | 'nonTrade' | 'mutated';

interface Fuzzed {
  lines: string[];
  kinds: Kind[];
  /** Line number (1-based) → reason for lines whose damage decides the reason. */
  mustReject: Map<number, string>;
  /** Line number → trade id of good frames. */
  goodIds: Map<number, string>;
}

/** Writes lines as UTF-8 and reads them back: what the file holds is the truth (lone surrogates become U+FFFD). */
function asStored(line: string): string {
  return Buffer.from(line, 'utf8').toString('utf8');
}

function fuzzLines(): Fuzzed {
  const r = prng(SEED);
  const lines: string[] = [];
  const kinds: Kind[] = [];
  const mustReject = new Map<number, string>();
  const goodIds = new Map<number, string>();
  let nextId = GOOD_ID_BASE;
  const push = (line: string, kind: Kind): void => {
    const stored = asStored(line);
    lines.push(stored);
    // A mutation can leave nothing (a truncation at 0): then it is a blank line like any other.
    kinds.push(stored === '' || stored === '\r' ? 'blank' : kind);
  };
  // A good frame first: the format is detected from the head of the file.
  for (let i = 0; i < LINES; i++) {
    const roll = i < 16 ? 0 : r();
    if (roll < 0.3) {
      goodIds.set(i + 1, String(nextId));
      push(goodFrame(r, nextId++), 'good');
    } else if (roll < 0.33) {
      push(pick(r, ['', '\r']), 'blank');
    } else if (roll < 0.35) {
      push(pick(r, [' ', '\t', '  \t ']), 'quiet');
    } else if (roll < 0.37) {
      push(pick(r, klines), 'nonTrade');
    } else if (roll < 0.45) {
      const { line, mustReject: reason } = brokenTrade(r);
      push(line, 'mutated');
      mustReject.set(i + 1, reason);
    } else if (roll < 0.7) {
      push(mutateObject(r, pick(r, seeds), VOCABULARY), 'mutated');
    } else {
      push(mutateText(r, pick(r, seeds)), 'mutated');
    }
  }
  return { lines, kinds, mustReject, goodIds };
}

async function readTopic<T>(log: EventLog, topic: TopicDef<T>): Promise<T[]> {
  const values: T[] = [];
  for (let p = 0; p < topic.config.partitions; p++) {
    await forEachEvent(log, topic, p, 0, (value) => values.push(value));
  }
  return values;
}

const tradeKey = (t: Trade): string => `${t.venue}:${t.symbol}:${t.tradeId}`;

describe('crypto-lambda replay on 120,000 fuzzed frames', () => {
  let dir: string;
  let input: string;
  let fuzzed: Fuzzed;
  let summary: { trades: number; duplicates: number; rejected: number; ignored: number; speed: number };
  let trades: Trade[];
  let rejected: Rejected[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-fuzz-'));
    input = join(dir, 'fuzzed-frames.jsonl');
    fuzzed = fuzzLines();
    await writeFile(input, `${fuzzed.lines.join('\n')}\n`);
    const run = await runCli(['replay', '--input', input, '--data-dir', join(dir, 'data')]);
    assert.equal(run.code, 0, `the replay must never crash:\n${run.stderr.slice(-2000)}`);
    assert.equal(run.signal, null);
    const match =
      /replay finished: (\d+) new trades, (\d+) duplicates dropped, (\d+) rejected, (\d+) non-trade frames ignored; (\d+) trades in the speed layer/.exec(
        run.stderr,
      );
    assert.ok(match !== null, `no summary in:\n${run.stderr.slice(-2000)}`);
    const [trades_, duplicates, rejected_, ignored, speed] = match.slice(1).map(Number) as number[];
    summary = {
      trades: trades_!,
      duplicates: duplicates!,
      rejected: rejected_!,
      ignored: ignored!,
      speed: speed!,
    };
    const log = await openFileLog({ dir: join(dir, 'data', 'log') });
    try {
      trades = await readTopic(log, TOPICS.trades);
      rejected = await readTopic(log, TOPICS.rejected);
    } finally {
      await log.close();
    }
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('made the input it meant to: every kind of line, well mixed', () => {
    const counts = new Map<Kind, number>();
    for (const kind of fuzzed.kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    assert.equal(fuzzed.lines.length, LINES);
    assert.ok(fuzzed.lines.every((l) => !l.includes('\n')));
    for (const kind of ['good', 'blank', 'quiet', 'nonTrade', 'mutated'] as const) {
      assert.ok((counts.get(kind) ?? 0) > LINES / 100, `${kind}: ${counts.get(kind)}`);
    }
  });

  it('accounts for every line: trades + duplicates + rejected + ignored + blank = lines', (t) => {
    const blank = fuzzed.kinds.filter((k) => k === 'blank').length;
    t.diagnostic(`${JSON.stringify(summary)}, blank ${blank}`);
    assert.ok(summary.duplicates > 0 && summary.ignored > 0 && summary.rejected > LINES / 3);
    assert.equal(summary.trades + summary.duplicates + summary.rejected + summary.ignored + blank, LINES);
    assert.equal(trades.length, summary.trades, 'the trades topic holds what the summary says');
    assert.equal(rejected.length, summary.rejected, 'the rejected topic holds what the summary says');
    assert.equal(summary.speed, summary.trades, 'every trade went through the speed layer');
  });

  it('holds every good frame in the trades topic exactly once, as sent', () => {
    const keys = trades.map(tradeKey);
    assert.equal(new Set(keys).size, keys.length, 'no trade twice in the log');
    const byId = new Map<string, Trade[]>();
    for (const t of trades) byId.set(t.tradeId, [...(byId.get(t.tradeId) ?? []), t]);
    for (const [lineNo, id] of fuzzed.goodIds) {
      const found = byId.get(id) ?? [];
      assert.equal(found.length, 1, `good frame of line ${lineNo} (id ${id}) found ${found.length} times`);
      const t = found[0]!;
      const frame = innermost(JSON.parse(fuzzed.lines[lineNo - 1]!.replace(/^\d+(\.\d+)?: /, '')) as Json);
      assert.equal(t.venue, 'binance');
      assert.equal(t.symbol, binanceToCanonical(String(frame['s'])));
      assert.equal(t.ts, frame['T']);
      assert.equal(t.price, Number(frame['p']));
      assert.equal(t.qty, Number(frame['q']));
      assert.equal(t.side, frame['m'] === true ? 'sell' : 'buy');
      assert.equal(t.count, Number(frame['l']) - Number(frame['f']) + 1);
    }
    const goodCount = fuzzed.goodIds.size;
    assert.ok(trades.length >= goodCount);
    assert.ok(goodCount > LINES / 4);
  });

  it('keeps every bad line in the rejected topic: reason, original line, file and line number', () => {
    const byLine = new Map<number, Rejected>();
    for (const r of rejected) {
      assert.ok(rejectedValidator.Check(r), JSON.stringify(r).slice(0, 300));
      assert.ok(REJECT_REASONS.includes(r.reason));
      const match = /^(.*):(\d+)$/.exec(r.origin);
      assert.ok(match !== null, r.origin);
      assert.equal(match[1], input, 'origin names the file');
      const lineNo = Number(match[2]);
      assert.ok(!byLine.has(lineNo), `line ${lineNo} rejected twice`);
      byLine.set(lineNo, r);
      assert.equal(r.payload, fuzzed.lines[lineNo - 1], `payload of line ${lineNo} is the line as read`);
      const kind = fuzzed.kinds[lineNo - 1];
      assert.equal(kind, 'mutated', `line ${lineNo} is ${kind}, yet rejected as ${r.reason}`);
    }
    for (const [lineNo, reason] of fuzzed.mustReject) {
      const r = byLine.get(lineNo);
      assert.ok(
        r !== undefined,
        `line ${lineNo} must be rejected: ${fuzzed.lines[lineNo - 1]?.slice(0, 200)}`,
      );
      const expected = reason === 'invalid_time' ? ['invalid_time', 'time_out_of_range'] : [reason];
      assert.ok(expected.includes(r.reason), `line ${lineNo}: ${r.reason}, expected ${expected.join('|')}`);
    }
    assert.ok(fuzzed.mustReject.size > LINES / 20);
    // The mutations reach every reason a frame can earn.
    const reasons = new Set(rejected.map((r) => r.reason));
    for (const reason of REJECT_REASONS) {
      if (reason === 'bad_csv' || reason === 'duplicate' || reason === 'line_too_long') continue;
      assert.ok(reasons.has(reason), `no line was rejected as ${reason}`);
    }
  });

  it('treats every line as the parser does on its own: no line lost, none added, in the pipeline', () => {
    // The parser is the oracle here (it is fuzzed on its own); this checks what the pipeline adds:
    // line numbering, batching, dedupe and the log keep each line's fate.
    const nowMs = Date.now();
    const expectedTrades = new Map<string, Trade>();
    const expectedRejected = new Map<number, string>();
    let ignored = 0;
    let duplicates = 0;
    fuzzed.lines.forEach((line, i) => {
      if (fuzzed.kinds[i] === 'blank') return;
      const result = parseBinanceFrame(line, undefined, `${input}:${i + 1}`, nowMs);
      if (result.kind === 'trade') {
        const key = tradeKey(result.trade);
        if (expectedTrades.has(key)) duplicates++;
        else expectedTrades.set(key, result.trade);
      } else if (result.kind === 'rejected') {
        expectedRejected.set(i + 1, result.rejected.reason);
      } else {
        ignored++;
        const kind = fuzzed.kinds[i];
        assert.ok(kind === 'quiet' || kind === 'nonTrade' || kind === 'mutated', `line ${i + 1} ignored`);
      }
    });
    assert.equal(summary.ignored, ignored);
    assert.equal(summary.duplicates, duplicates);
    assert.deepEqual(
      new Map(rejected.map((r) => [Number(/:(\d+)$/.exec(r.origin)?.[1]), r.reason])),
      expectedRejected,
    );
    const sorted = (list: Iterable<Trade>): Trade[] =>
      [...list].sort((a, b) => (tradeKey(a) < tradeKey(b) ? -1 : 1));
    assert.deepEqual(sorted(trades), sorted(expectedTrades.values()));
    // Quiet (whitespace-only) lines and kline frames are ignored, never rejected.
    const known = fuzzed.kinds.filter((k) => k === 'quiet' || k === 'nonTrade').length;
    assert.ok(ignored >= known);
  });
});
