/**
 * The dashboard's view: thin renderers over `model.ts`, run by the browser as an ES module
 * (`/dashboard/view.js`). The project compiles without DOM typings, so the few browser APIs used
 * are declared below, structurally.
 */
import {
  applyCandle,
  BATCH_REFRESH_MS,
  type BarSource,
  candleChannelName,
  candlesUrl,
  chartNote,
  DOWN_COLOR,
  type Gap,
  MOVERS_URLS,
  moverRows,
  type PanelCell,
  parseServerMessage,
  pickInterval,
  pricePrecision,
  reconnectDelayMs,
  type StatusLike,
  type SymbolChoice,
  setBars,
  statusView,
  symbolChoices,
  TRENDING_URL,
  toChartBar,
  toVolumeBar,
  trendingRows,
  UP_COLOR,
  wsUrl,
} from './model.js';

interface Element {
  value: string;
  textContent: string | null;
  className: string;
  addEventListener(type: string, listener: () => void): void;
  append(...nodes: Element[]): void;
  replaceChildren(...nodes: Element[]): void;
}
interface Socket {
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(text: string): void;
}
interface Series {
  setData(points: unknown[]): void;
  update(point: unknown): void;
  applyOptions(options: unknown): void;
  priceScale(): { applyOptions(options: unknown): void };
}
interface Charts {
  createChart(
    container: Element,
    options: unknown,
  ): {
    addSeries(kind: unknown, options: unknown): Series;
    priceScale(id: string): { applyOptions(options: unknown): void };
  };
  CandlestickSeries: unknown;
  HistogramSeries: unknown;
}
interface Browser {
  document: { getElementById(id: string): Element | null; createElement(tag: string): Element };
  location: { protocol: string; host: string };
  WebSocket: new (url: string) => Socket;
  LightweightCharts: Charts;
  fetch(url: string): Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;
}

const browser = globalThis as unknown as Browser;
const doc = browser.document;
const byId = (id: string): Element => {
  const element = doc.getElementById(id);
  if (element === null) throw new Error(`dashboard: #${id} missing`);
  return element;
};
const el = (tag: string, text: string, className = ''): Element => {
  const element = doc.createElement(tag);
  element.textContent = text;
  element.className = className;
  return element;
};

const symbolSelect = byId('symbol');
const intervalSelect = byId('interval');
const note = byId('note');

const charts = browser.LightweightCharts;
const chart = charts.createChart(byId('chart'), {
  autoSize: true,
  layout: { background: { color: '#0f1115' }, textColor: '#c9ccd3' },
  grid: { vertLines: { color: '#1c1f26' }, horzLines: { color: '#1c1f26' } },
  timeScale: { timeVisible: true, secondsVisible: false },
});
const candleSeries = chart.addSeries(charts.CandlestickSeries, {
  upColor: UP_COLOR,
  downColor: DOWN_COLOR,
  wickUpColor: UP_COLOR,
  wickDownColor: DOWN_COLOR,
  borderVisible: false,
});
candleSeries.priceScale().applyOptions({ scaleMargins: { top: 0.05, bottom: 0.25 } });
const volumeSeries = chart.addSeries(charts.HistogramSeries, {
  priceFormat: { type: 'volume' },
  priceScaleId: 'volume',
});
chart.priceScale('volume').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });

let choices: SymbolChoice[] = [];
let bars: BarSource[] = [];
/** Downtime gaps of the loaded series (live updates come from a running pipeline: none). */
let gaps: Gap[] = [];
let channel: string | undefined;
let socket: Socket | undefined;
let open = false;
/** Increases with every series load, so a slow response for an earlier choice is dropped. */
let loadSeq = 0;

function redraw(): void {
  const precision = pricePrecision(bars);
  candleSeries.applyOptions({ priceFormat: { type: 'price', precision, minMove: 10 ** -precision } });
  candleSeries.setData(bars.map((b) => toChartBar(b, gaps)));
  volumeSeries.setData(bars.map((b) => toVolumeBar(b, gaps)));
}

function onCandle(candle: BarSource): void {
  const change = applyCandle(bars, candle);
  if (change.kind === 'reset') redraw();
  if (change.kind === 'update') {
    candleSeries.update(toChartBar(change.bar, gaps));
    volumeSeries.update(toVolumeBar(change.bar, gaps));
  }
}

function renderStatus(status: StatusLike): void {
  const view = statusView(status, Date.now());
  byId('figures').replaceChildren(
    ...view.figures.flatMap(([label, text]) => [el('dt', label), el('dd', text)]),
  );
  byId('sources').replaceChildren(
    ...view.sources.map((s) => {
      const row = el('tr', '');
      row.append(
        el('td', s.name),
        el('td', s.state, s.ok ? 'ok' : 'bad'),
        el('td', s.trades),
        el('td', s.rejected),
      );
      return row;
    }),
  );
  byId('reasons').replaceChildren(...view.rejectedByReason.map(([reason, n]) => el('li', `${reason}: ${n}`)));
}

function renderTable(id: string, rows: readonly PanelCell[][]): void {
  byId(id).replaceChildren(
    ...rows.map((cells) => {
      const row = el('tr', '');
      row.append(...cells.map((cell) => el('td', cell.text, cell.className)));
      return row;
    }),
  );
}

/** A JSON body, or undefined when the server is unreachable or answers something else. */
async function fetchJson(url: string): Promise<unknown> {
  try {
    return await (await browser.fetch(url)).json();
  } catch {
    return undefined;
  }
}

/** The batch panels: movers and trending, from batch views (a placeholder row until they exist). */
async function refreshBatchPanels(): Promise<void> {
  const [trending, ...movers] = await Promise.all([fetchJson(TRENDING_URL), ...MOVERS_URLS.map(fetchJson)]);
  renderTable('movers', moverRows(movers));
  renderTable('trending', trendingRows(trending));
}

function send(message: object): void {
  if (socket !== undefined && open) socket.send(JSON.stringify(message));
}

async function loadSeries(): Promise<void> {
  const choice = choices.find((c) => c.value === symbolSelect.value);
  if (choice === undefined) return;
  const interval = intervalSelect.value;
  const seq = ++loadSeq;
  if (channel !== undefined) send({ op: 'unsubscribe', channel });
  channel = candleChannelName(choice.venue, choice.symbol, interval);
  let response: Awaited<ReturnType<Browser['fetch']>>;
  let body: { candles?: BarSource[]; gaps?: Gap[]; error?: { message: string } };
  try {
    response = await browser.fetch(candlesUrl(choice.venue, choice.symbol, interval, 1_000));
    body = (await response.json()) as typeof body;
  } catch {
    note.textContent = 'server unreachable';
    return;
  }
  if (seq !== loadSeq) return;
  bars = setBars(body.candles ?? []);
  gaps = body.gaps ?? [];
  note.textContent = response.ok
    ? chartNote(bars.length, gaps)
    : (body.error?.message ?? `HTTP ${response.status}`);
  redraw();
  // A snapshot of the last two candles covers updates made while the request was in flight.
  send({ op: 'subscribe', channel, limit: 2 });
}

function fillIntervals(): void {
  const choice = choices.find((c) => c.value === symbolSelect.value);
  const interval = pickInterval(choice?.intervals ?? [], intervalSelect.value || undefined);
  intervalSelect.replaceChildren(
    ...(choice?.intervals ?? []).map((i) => {
      const option = el('option', i);
      option.value = i;
      return option;
    }),
  );
  intervalSelect.value = interval;
}

function connect(attempt: number): void {
  const ws = new browser.WebSocket(wsUrl(browser.location.protocol, browser.location.host));
  socket = ws;
  ws.onopen = () => {
    open = true;
    byId('live').textContent = 'live';
    send({ op: 'subscribe', channel: 'status' });
    // After a reconnect, reload: updates were missed while the socket was down.
    if (attempt > 0) void loadSeries();
    else if (channel !== undefined) send({ op: 'subscribe', channel, limit: 2 });
    attempt = 0;
  };
  ws.onclose = () => {
    open = false;
    byId('live').textContent = 'reconnecting…';
    setTimeout(() => connect(attempt + 1), reconnectDelayMs(attempt));
  };
  ws.onmessage = (event) => {
    const message = parseServerMessage(String(event.data));
    if (message === undefined) return;
    if (message.type === 'error') note.textContent = `${message.code}: ${message.message}`;
    if (message.type !== 'snapshot' && message.type !== 'update') return;
    if (message.status !== undefined) return renderStatus(message.status);
    if (message.channel !== channel) return;
    for (const candle of message.type === 'snapshot' ? (message.candles ?? []) : [message.candle]) {
      if (candle !== undefined) onCandle(candle);
    }
  };
}

async function start(): Promise<void> {
  const response = await browser.fetch('/api/v1/symbols');
  const body = (await response.json()) as {
    symbols: { venue: string; symbol: string; intervals: string[] }[];
  };
  choices = symbolChoices(body.symbols);
  symbolSelect.replaceChildren(
    ...choices.map((c) => {
      const option = el('option', c.label);
      option.value = c.value;
      return option;
    }),
  );
  if (choices.length === 0) note.textContent = 'no symbols yet: start a source';
  fillIntervals();
  symbolSelect.addEventListener('change', () => {
    fillIntervals();
    void loadSeries();
  });
  intervalSelect.addEventListener('change', () => void loadSeries());
  connect(0);
  void refreshBatchPanels();
  setInterval(() => void refreshBatchPanels(), BATCH_REFRESH_MS);
  await loadSeries();
}

void start();
