/** The dashboard page. Scripts: the chart library, then the view (an ES module importing the model). */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>crypto-lambda</title>
<style>
  :root { color-scheme: dark; font: 14px/1.4 system-ui, sans-serif; }
  body { margin: 0; background: #0f1115; color: #c9ccd3; display: grid; grid-template-columns: 1fr 340px;
    grid-template-rows: auto 1fr; height: 100vh; }
  header { grid-column: 1 / 3; display: flex; gap: 12px; align-items: center; padding: 8px 12px;
    border-bottom: 1px solid #1c1f26; }
  header h1 { font-size: 16px; margin: 0 12px 0 0; }
  select { background: #171a21; color: inherit; border: 1px solid #2a2e38; padding: 4px; }
  #note { color: #8a8f9c; }
  #live { margin-left: auto; color: #26a69a; }
  #chart { min-height: 300px; }
  aside { border-left: 1px solid #1c1f26; padding: 8px 12px; overflow: auto; }
  aside h2 { font-size: 13px; text-transform: uppercase; color: #8a8f9c; margin: 12px 0 6px; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 12px; margin: 0; }
  dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; }
  table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 12px; }
  th { font-weight: 600; color: #8a8f9c; text-align: left; padding: 2px 4px; }
  td { padding: 2px 4px; vertical-align: top; } td:first-child { word-break: break-all; }
  td:nth-child(n+3), th:nth-child(n+3) { text-align: right; }
  .ok { color: #26a69a; } .bad { color: #ef5350; } td.num, th.num { text-align: right; }
  ul { margin: 0; padding-left: 18px; }
</style>
</head>
<body>
<header>
  <h1>crypto-lambda</h1>
  <label>Symbol <select id="symbol"></select></label>
  <label>Interval <select id="interval"></select></label>
  <span id="note"></span>
  <span id="live">connecting…</span>
</header>
<main id="chart"></main>
<aside>
  <h2>Pipeline</h2>
  <dl id="figures"></dl>
  <h2>Sources</h2>
  <table><thead><tr><th>name</th><th>state</th><th>trades</th><th>rejected</th></tr></thead>
    <tbody id="sources"></tbody></table>
  <h2>Top movers (24h)</h2>
  <table><thead><tr><th>symbol</th><th class="num">change</th><th class="num">close</th></tr></thead>
    <tbody id="movers"></tbody></table>
  <h2>Trending</h2>
  <table><thead><tr><th>#</th><th>symbol</th><th class="num">score</th></tr></thead>
    <tbody id="trending"></tbody></table>
  <h2>Rejected by reason</h2>
  <ul id="reasons"></ul>
  <p><a href="/docs">API docs</a> · <a href="/metrics">metrics</a></p>
</aside>
<script src="/assets/lightweight-charts.js"></script>
<script type="module" src="/dashboard/view.js"></script>
</body>
</html>
`;
