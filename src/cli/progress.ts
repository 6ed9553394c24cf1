import type { Output } from './output.js';

/**
 * Shows a progress line while long work runs: redrawn in place on a terminal, a plain line
 * every few seconds otherwise (logs, CI).
 */
export function startProgress(out: Output, line: () => string, everyMs?: number): { stop(): void } {
  const intervalMs = everyMs ?? (out.interactive ? 250 : 5000);
  let shown = false;
  const timer = setInterval(() => {
    if (out.interactive) out.stderr(`\r\x1b[2K${line()}`);
    else out.stderr(`${line()}\n`);
    shown = true;
  }, intervalMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (shown && out.interactive) out.stderr('\n');
    },
  };
}
