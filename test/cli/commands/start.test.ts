import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { type Candle, formatDecimal, REJECT_REASONS, type Trade } from '../../../src/domain/index.js';
import { DEFAULT_SIM_SYMBOLS } from '../../../src/ingest/index.js';
import { messyFrames, simulatedTrades } from '../../pipeline/synthetic.js';
import { BIN, parseCsv, REPO_ROOT, runCli } from '../helpers.js';

/**
 * `crypto-lambda start` as a user runs it: the real executable in its own process, a replay of a
 * messy frames file beside the live simulator, everything checked over real HTTP and WebSocket,
 * then SIGTERM and a restart on the same data dir.
 */

const TRADES = 4000;
/** simulatedTrades spaces trades 2 ms apart; stretched, the file spans about 16 minutes. */
const STRETCH = 120;
/** Generous bounds for things that must happen; only a hang reaches them. */
const READY_MS = 20_000;
const EVENTUALLY_MS = 20_000;

type Json = Record<string, unknown>;

interface Running {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcessWithoutNullStreams>();

/** Spawns a process and waits for the line that says where it serves. */
function launch(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  let stderr = '';
  child.stdout.resume(); // request logs: read and dropped, so the pipe never fills
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no address printed within ${READY_MS} ms:\n${stderr}`)),
      READY_MS,
    );
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      const match = /crypto-lambda is running: dashboard and API at (http:\/\/\S+)/.exec(stderr);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve({ child, url: match[1].replace(/\/$/, ''), stderr: () => stderr, exited });
      }
    });
    child.on('error', reject);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before serving:\n${stderr}`));
    });
  });
}

/** SIGTERM, then the exit code; a process that hangs on shutdown fails here. */
async function stop(running: Running): Promise<number | null> {
  running.child.kill('SIGTERM');
  const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000).unref());
  const result = await Promise.race([running.exited, timeout]);
  if (result === 'hung') {
    running.child.kill('SIGKILL');
    assert.fail(`did not exit within 15 s of SIGTERM:\n${running.stderr()}`);
  }
  return result.code;
}

async function getJson(url: string): Promise<{ status: number; type: string; body: Json }> {
  const response = await fetch(url);
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, body: (await response.json()) as Json };
}

/** Polls `probe` until it returns a value, or fails with the last thing it saw. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + EVENTUALLY_MS;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      assert.fail(`${what} did not happen within ${EVENTUALLY_MS} ms (${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A port nobody listens on right now: the OS picks one, we close it and hand it over. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(),
      );
    });
  });
}

type CandleRow = Omit<Candle, 'venue' | 'symbol' | 'interval'>;

async function candlesOf(
  url: string,
  venue: string,
  symbol: string,
): Promise<{ rows: CandleRow[]; speed: number }> {
  const { status, body } = await getJson(
    `${url}/api/v1/candles?venue=${venue}&symbol=${symbol}&interval=1m&limit=10000`,
  );
  assert.equal(status, 200, JSON.stringify(body));
  const watermarks = body['watermarks'] as { speed: number | null };
  assert.ok(watermarks.speed !== null);
  return { rows: body['candles'] as CandleRow[], speed: watermarks.speed };
}

const closedOnly = (rows: CandleRow[]): CandleRow[] => rows.filter((c) => c.state !== 'open');

describe('crypto-lambda start: replay + simulator, over real HTTP and WebSocket', () => {
  let dir: string;
  let input: string;
  let lines: string[];
  let replayed: Trade[];
  /** Expected rejection reason of each line number (1-based) that must be rejected. */
  const expectedRejected = new Map<number, string>();
  let product: Running | undefined;
  let closedBefore: Map<string, CandleRow[]>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cl-start-'));
    const start = Date.UTC(2024, 0, 1);
    replayed = (await simulatedTrades(TRADES, 42, start)).map((t) => ({
      ...t,
      ts: start + (t.ts - start) * STRETCH,
    }));
    lines = messyFrames(replayed, 9);
    // Malformed lines made here, whose fate is known without the product: not JSON, or a price of -1.
    lines.forEach((line, i) => {
      if (line === '') return;
      let frame: { data?: { p?: unknown } };
      try {
        frame = JSON.parse(line) as typeof frame;
      } catch {
        expectedRejected.set(i + 1, 'bad_json');
        return;
      }
      if (frame.data?.p === '-1') expectedRejected.set(i + 1, 'invalid_price');
    });
    assert.ok(expectedRejected.size > 10, 'the file has malformed lines');
    assert.ok([...expectedRejected.values()].includes('invalid_price'));
    input = join(dir, 'frames.jsonl');
    await writeFile(input, `${lines.join('\n')}\n`);
    product = await launch([
      BIN,
      'start',
      '--source',
      `replay:${input}`,
      '--source',
      'simulator',
      '--port',
      '0',
      '--data-dir',
      join(dir, 'data'),
    ]);
  });

  after(async () => {
    for (const child of children) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('prints the address the OS chose for --port 0, and answers /health there', async () => {
    assert.ok(product !== undefined);
    const url = new URL(product.url);
    assert.ok(Number(url.port) > 0, product.url);
    const health = await getJson(`${product.url}/health`);
    assert.equal(health.status, 200);
    assert.equal(health.body['status'], 'ok');
  });

  it('lists the replayed symbols (venue binance) and the simulator ones (venue sim)', async () => {
    assert.ok(product !== undefined);
    const url = product.url;
    const expected = [
      ...new Set(replayed.map((t) => `binance:${t.symbol}`)),
      ...DEFAULT_SIM_SYMBOLS.map((s) => `sim:${s.symbol}`),
    ].sort();
    const listed = await eventually('every symbol listed', async () => {
      const { body } = await getJson(`${url}/api/v1/symbols`);
      const keys = (body['symbols'] as { venue: string; symbol: string }[])
        .map((s) => `${s.venue}:${s.symbol}`)
        .sort();
      return expected.every((k) => keys.includes(k)) ? keys : undefined;
    });
    assert.deepEqual(listed, expected);
  });

  it('reports the replay finished, no lag, and the rejected records counted by reason', async () => {
    assert.ok(product !== undefined);
    const url = product.url;
    const status = await eventually('replay finished and speed layer caught up', async () => {
      const { body } = await getJson(`${url}/api/v1/system/status`);
      const sources = body['sources'] as { name: string; state: string }[];
      const speed = body['speed'] as { lag: number };
      const replay = sources.find((s) => s.name === 'replay:frames.jsonl');
      return replay?.state === 'finished' && speed.lag === 0 ? body : undefined;
    });
    const sources = status['sources'] as { name: string; state: string; trades: number; rejected: number }[];
    assert.deepEqual(sources.map((s) => s.name).sort(), ['replay:frames.jsonl', 'simulator']);
    assert.equal(sources.find((s) => s.name === 'simulator')?.state, 'running');
    const replay = sources.find((s) => s.name === 'replay:frames.jsonl');
    assert.equal(
      replay?.trades,
      new Set(replayed.map((t) => `${t.symbol}:${t.tradeId}`)).size,
      'every trade once',
    );
    assert.equal(replay?.rejected, expectedRejected.size);
    const byReason: Record<string, number> = {};
    for (const reason of expectedRejected.values()) byReason[reason] = (byReason[reason] ?? 0) + 1;
    const rejected = status['rejected'] as { total: number; byReason: Record<string, number> };
    assert.deepEqual(rejected.byReason, byReason);
    assert.equal(rejected.total, expectedRejected.size);
  });

  it('lists rejected records with their reason, the original line and where it came from', async () => {
    assert.ok(product !== undefined);
    const { status, body } = await getJson(`${product.url}/api/v1/rejected?limit=10000`);
    assert.equal(status, 200);
    const records = body['rejected'] as { reason: string; payload: string; origin: string; detail: string }[];
    assert.equal(records.length, expectedRejected.size);
    const seen = new Set<number>();
    for (const r of records) {
      assert.ok((REJECT_REASONS as readonly string[]).includes(r.reason), r.reason);
      const match = /^(.*):(\d+)$/.exec(r.origin);
      assert.ok(match !== null, r.origin);
      assert.equal(match[1], input);
      const lineNo = Number(match[2]);
      assert.equal(r.payload, lines[lineNo - 1], `payload of line ${lineNo}`);
      assert.equal(r.reason, expectedRejected.get(lineNo), `reason of line ${lineNo}`);
      assert.ok(r.detail.length > 0);
      seen.add(lineNo);
    }
    assert.equal(seen.size, expectedRejected.size, 'each rejected line once');
  });

  it('serves 1m candles equal to `crypto-lambda candles` on the same file, for every closed bucket', async () => {
    assert.ok(product !== undefined);
    const bySymbol = new Map<string, number>();
    for (const t of replayed) bySymbol.set(t.symbol, (bySymbol.get(t.symbol) ?? 0) + 1);
    const ranked = [...bySymbol].sort((a, b) => b[1] - a[1]).map(([s]) => s);
    // The busiest symbol and the quietest (empty buckets matter most there).
    for (const symbol of [ranked[0], ranked[ranked.length - 1]] as string[]) {
      const cli = await runCli(['candles', '--input', input, '--symbol', symbol, '--interval', '1m']);
      assert.equal(cli.code, 0, cli.stderr);
      const expected = new Map(parseCsv(cli.stdout).map((row) => [Number(row['open_time']), row]));
      const { rows, speed } = await candlesOf(product.url, 'binance', symbol);
      const closed = closedOnly(rows);
      for (const c of closed) {
        const row = expected.get(c.openTime);
        assert.ok(row !== undefined, `${symbol}: the API has a closed ${c.openTime} the CLI does not`);
        const api = [c.open, c.high, c.low, c.close, c.volume].map((v) => formatDecimal(v));
        const ref = [row['open'], row['high'], row['low'], row['close'], row['volume']];
        assert.deepEqual(api, ref, `${symbol} ${new Date(c.openTime).toISOString()} OHLCV`);
        assert.equal(c.trades, Number(row['count']), `${symbol} ${c.openTime} trade count`);
        assert.equal(c.closeTime, Number(row['close_time']));
      }
      // Every bucket the speed watermark has passed is closed in the API.
      const due = [...expected.keys()].filter((openTime) => openTime + 60_000 <= speed);
      assert.deepEqual(
        closed.map((c) => c.openTime),
        due,
        `${symbol}: closed buckets`,
      );
      assert.ok(due.length >= 10, `${symbol}: only ${due.length} buckets compared`);
    }
  });

  it('answers a bad parameter with 400 JSON naming the field', async () => {
    assert.ok(product !== undefined);
    const cases: [string, string][] = [
      ['symbol=BTC-USDT&interval=2m', 'interval'],
      ['symbol=BTC-USDT&interval=1m&limit=0', 'limit'],
      ['interval=1m', 'symbol'],
      ['symbol=BTC-USDT&interval=1m&from=yesterday', 'from'],
    ];
    for (const [query, field] of cases) {
      const { status, type, body } = await getJson(`${product.url}/api/v1/candles?${query}`);
      assert.equal(status, 400, query);
      assert.match(type, /^application\/json/);
      const error = body['error'] as { code: string; field?: string; message: string };
      assert.equal(error.code, 'INVALID_PARAMETER', query);
      assert.equal(error.field, field, query);
      assert.ok(error.message.length > 0);
    }
  });

  it('serves the OpenAPI document, Prometheus metrics and the dashboard', async () => {
    assert.ok(product !== undefined);
    const docs = await getJson(`${product.url}/docs/json`);
    assert.equal(docs.status, 200);
    assert.match(String(docs.body['openapi']), /^3\./);
    const paths = Object.keys(docs.body['paths'] as Json);
    for (const path of ['/api/v1/candles', '/api/v1/symbols', '/api/v1/system/status', '/api/v1/rejected']) {
      assert.ok(paths.includes(path), `${path} documented`);
    }

    const metrics = await fetch(`${product.url}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await metrics.text();
    assert.match(text, /^# TYPE crypto_lambda_speed_trades_processed gauge$/m);
    const processed = /^crypto_lambda_speed_trades_processed (\d+)$/m.exec(text);
    assert.ok(processed !== null && Number(processed[1]) >= TRADES * 0.9, 'trades processed in the metrics');
    assert.match(text, /^http_requests_total\{/m);

    const page = await fetch(`${product.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /<html[\s>]/i);
  });

  it('streams live candles over /ws: a snapshot, then updates that move', async () => {
    assert.ok(product !== undefined);
    const channel = 'candles:sim:BTC-USDT:1m';
    const socket = new WebSocket(`${product.url.replace(/^http/, 'ws')}/ws`);
    const messages: Json[] = [];
    let notify: () => void = () => undefined;
    socket.on('message', (data) => {
      messages.push(JSON.parse(String(data)) as Json);
      notify();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('open', resolve);
        socket.on('error', reject);
        socket.on('close', (code, reason) => reject(new Error(`socket closed: ${code} ${String(reason)}`)));
      });
      socket.send(JSON.stringify({ op: 'subscribe', channel }));
      const moved = (): boolean => {
        const snapshot = messages[0];
        const last = (snapshot?.['candles'] as CandleRow[] | undefined)?.at(-1);
        const updates = messages.slice(1).map((m) => m['candle'] as CandleRow);
        return (
          last !== undefined &&
          updates.length >= 3 &&
          updates.some(
            (u) => u.openTime > last.openTime || (u.openTime === last.openTime && u.trades > last.trades),
          )
        );
      };
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `no moving updates within ${EVENTUALLY_MS} ms: ${JSON.stringify(messages).slice(0, 500)}`,
              ),
            ),
          EVENTUALLY_MS,
        );
        notify = () => {
          if (moved()) {
            clearTimeout(timer);
            resolve();
          }
        };
        notify();
      });
    } finally {
      socket.close();
    }
    const [snapshot, ...updates] = messages;
    assert.equal(snapshot?.['type'], 'snapshot');
    assert.equal(snapshot?.['channel'], channel);
    assert.ok(((snapshot?.['candles'] ?? []) as CandleRow[]).length > 0, 'the simulator has been trading');
    for (const update of updates) {
      assert.equal(update['type'], 'update');
      assert.equal(update['channel'], channel);
      const c = update['candle'] as CandleRow;
      assert.ok(
        c.low <= c.open && c.open <= c.high && c.low <= c.close && c.close <= c.high,
        JSON.stringify(c),
      );
    }
  });

  it('exits 0 on SIGTERM, and a restart on the same data dir serves the same closed candles', async () => {
    assert.ok(product !== undefined);
    const symbols = [...new Set(replayed.map((t) => t.symbol))].sort();
    closedBefore = new Map();
    for (const symbol of symbols)
      closedBefore.set(symbol, closedOnly((await candlesOf(product.url, 'binance', symbol)).rows));
    assert.equal(await stop(product), 0);
    assert.match(product.stderr(), /stopping/);
    const uptime = async (): Promise<{ startTs: number; endTs: number; clean: boolean }[]> =>
      (JSON.parse(await readFile(join(dir, 'data', 'uptime.json'), 'utf8')) as { runs: [] }).runs;
    const [first] = await uptime();
    assert.ok(first?.clean === true && first.endTs >= first.startTs, 'the run and its clean stop');

    // Only the simulator this time: the replayed candles can only come from the log.
    const again = await launch([
      BIN,
      'start',
      '--source',
      'simulator',
      '--port',
      '0',
      '--data-dir',
      join(dir, 'data'),
    ]);
    try {
      for (const symbol of symbols) {
        const { rows } = await candlesOf(again.url, 'binance', symbol);
        assert.deepEqual(
          closedOnly(rows),
          closedBefore.get(symbol),
          `closed candles of ${symbol} after restart`,
        );
      }
    } finally {
      assert.equal(await stop(again), 0);
    }
    const runs = await uptime();
    assert.equal(runs.length, 2);
    assert.ok(runs.every((r) => r.clean) && (runs[1]?.startTs ?? 0) >= first.endTs, JSON.stringify(runs));
  });

  it('`npm start` honours PORT and DATA_DIR', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    const [command, ...args] = pkg.scripts.start.split(' ');
    assert.equal(command, 'node');
    const port = await freePort();
    const dataDir = join(dir, 'npm-start-data');
    const running = await launch(args, { PORT: String(port), DATA_DIR: dataDir });
    try {
      assert.equal(new URL(running.url).port, String(port));
      assert.equal((await getJson(`${running.url}/health`)).status, 200);
      const { body } = await getJson(`${running.url}/api/v1/system/status`);
      const names = (body['sources'] as { name: string }[]).map((s) => s.name).sort();
      assert.deepEqual(names, ['replay:XRPETH-aggTrades-2019-10-11.csv.gz', 'simulator']);
      assert.ok(existsSync(join(dataDir, 'log')), 'the log lives under DATA_DIR');
      assert.match(running.stderr(), new RegExp(`data in ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    } finally {
      assert.equal(await stop(running), 0);
    }
  });
});
