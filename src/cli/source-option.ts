import { CryptoLambdaError } from '../domain/index.js';
import { FORMAT_IDS, type SourceSpec, type WorkerReplayOptions } from '../ingest/index.js';
import { CLI_ERRORS } from './args.js';

/** What `--replay-rate`, `--symbol`, `--format` and `--sim-rate` give every source that does not say. */
export interface SourceDefaults {
  replayRate: number | undefined;
  symbol: string | undefined;
  format: string | undefined;
  simRate: number | undefined;
}

/** Keys a `replay:<file>#key=value,…` source takes. */
const REPLAY_KEYS = ['symbol', 'format'] as const;
type ReplayKey = (typeof REPLAY_KEYS)[number];
/** A `#` followed by `key=value` pairs ends the path; any other `#` is part of it. */
const OPTIONS_SUFFIX = /#([A-Za-z-]+=[^,#]*(?:,[A-Za-z-]+=[^,#]*)*)$/;

/**
 * One `--source` of `start`: `simulator`, or `replay:<file>`, optionally followed by options for
 * that file alone after a `#`: `replay:dumps/XRPETH-2019-10-12.csv.gz#symbol=XRPETH`,
 * `replay:rec.jsonl#format=binance-ws`, `…#symbol=BTCUSD_PERP,format=binance-coinm-aggtrades-csv`.
 * They win over `--symbol` and `--format`, which apply to every replay source.
 * @throws CryptoLambdaError `CLI_BAD_OPTION` naming the source and what it accepts.
 */
export function parseSourceOption(text: string, defaults: SourceDefaults): SourceSpec {
  if (text === 'simulator') {
    return {
      kind: 'simulator',
      options: defaults.simRate === undefined ? {} : { tradesPerSec: defaults.simRate },
    };
  }
  if (!text.startsWith('replay:') || text.length === 'replay:'.length) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `--source ${JSON.stringify(text)} is not a source: use replay:<file>[#symbol=<s>,format=<f>] or simulator`,
    );
  }
  let path = text.slice('replay:'.length);
  const own: Partial<Record<ReplayKey, string>> = {};
  const suffix = OPTIONS_SUFFIX.exec(path);
  if (suffix !== null) {
    path = path.slice(0, suffix.index);
    for (const pair of (suffix[1] ?? '').split(',')) {
      const [key = '', value = ''] = pair.split('=');
      if (!(REPLAY_KEYS as readonly string[]).includes(key) || value === '') {
        throw new CryptoLambdaError(
          CLI_ERRORS.badOption,
          `--source ${JSON.stringify(text)}: ${JSON.stringify(pair)} is not an option of a replay; ` +
            `use ${REPLAY_KEYS.map((k) => `${k}=<${k}>`).join(',')} after the file, e.g. replay:dump.csv.gz#symbol=XRPETH`,
        );
      }
      own[key as ReplayKey] = value;
    }
  }
  const symbol = own.symbol ?? defaults.symbol;
  const format = own.format ?? defaults.format;
  if (format !== undefined) checkFormat(format, `--source ${JSON.stringify(text)}: format`);
  const options: WorkerReplayOptions = {
    ...(defaults.replayRate === undefined ? {} : { replayRate: defaults.replayRate }),
    ...(symbol === undefined ? {} : { symbol }),
    ...(format === undefined ? {} : { format }),
  };
  return { kind: 'replay', path, options };
}

/** A `--format` value: one of the registered formats. */
export function checkFormat(format: string, what = '--format'): string {
  if (!FORMAT_IDS.includes(format)) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `${what} ${JSON.stringify(format)} is not a format; use one of ${FORMAT_IDS.join(', ')}`,
    );
  }
  return format;
}

/** `--format`'s line in a command's help: the registered formats, wrapped under `indent`. */
export function formatOptionHelp(indent: number): string {
  const pad = ' '.repeat(indent);
  const lines = [
    `${'  --format <f>'.padEnd(indent)}the file's format, when detection cannot tell (or tells wrong):`,
  ];
  let line = pad;
  for (const [i, id] of FORMAT_IDS.entries()) {
    const word = `${id}${i < FORMAT_IDS.length - 1 ? ',' : ''}`;
    if (line.length + word.length + 1 > 96 && line !== pad) {
      lines.push(line.trimEnd());
      line = pad;
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}
