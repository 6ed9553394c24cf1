import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CryptoLambdaError, type UnixMs } from '../domain/index.js';

/** Error codes of the command line. */
export const CLI_ERRORS = {
  usage: 'CLI_USAGE',
  badOption: 'CLI_BAD_OPTION',
  /** `<dataDir>/uptime.json` does not parse: move it aside (only past downtime marks are lost). */
  uptimeCorrupt: 'CLI_UPTIME_CORRUPT',
  /** An environment variable (`PORT`, `HOST`, `DATA_DIR`, `LOG_LEVEL`) with a value it cannot take. */
  badEnv: 'CLI_BAD_ENV',
  /** The HTTP port is taken by another process. */
  portInUse: 'CLI_PORT_IN_USE',
  /** The HTTP port needs privileges this process lacks (below 1024). */
  portDenied: 'CLI_PORT_DENIED',
  /** The address to listen on is not one of this machine's. */
  badHost: 'CLI_BAD_HOST',
  /** The operating system refused a file or network operation (the message names it). */
  system: 'CLI_SYSTEM_ERROR',
} as const;

/**
 * Where a setting came from, for its error: an option (`--port`) or an environment variable
 * (`PORT`). The message is the same; the code says which (`CLI_BAD_OPTION`, `CLI_BAD_ENV`).
 */
function settingError(name: string, message: string): CryptoLambdaError {
  const fromEnv = !name.startsWith('-');
  return new CryptoLambdaError(
    fromEnv ? CLI_ERRORS.badEnv : CLI_ERRORS.badOption,
    `${name} must be ${message}${fromEnv ? ` (from the environment: fix or unset ${name})` : ''}`,
  );
}

/** A TCP port: `--port` or `PORT`. */
export function parsePort(name: string, text: string): number {
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw settingError(name, `an integer from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return port;
}

/** An address to listen on: `--host` or `HOST` (a name or an IP address). */
export function parseHost(name: string, text: string): string {
  if (!/^[A-Za-z0-9.:%[\]_-]{1,253}$/.test(text)) {
    throw settingError(
      name,
      `a host name or IP address such as 127.0.0.1 or 0.0.0.0, got ${JSON.stringify(text)}`,
    );
  }
  return text;
}

/** A positive integer setting, e.g. `LOG_SEGMENT_BYTES`; `unit` names what it counts. */
export function parsePositiveInteger(name: string, text: string, unit: string): number {
  const value = /^\d{1,16}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(Number.isSafeInteger(value) && value > 0)) {
    throw settingError(name, `a positive integer (${unit}), got ${JSON.stringify(text)}`);
  }
  return value;
}

/** Levels of the process log (pino's). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The log level: `LOG_LEVEL`. */
export function parseLogLevel(name: string, text: string): string {
  if (!(LOG_LEVELS as readonly string[]).includes(text)) {
    throw settingError(name, `one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(text)}`);
  }
  return text;
}

/** A data directory: `--data-dir` or `DATA_DIR`; a path that exists must be a directory. */
export function parseDataDir(name: string, text: string): string {
  if (text.trim() === '') throw settingError(name, 'a directory, got an empty value');
  const info = statSync(text, { throwIfNoEntry: false });
  if (info !== undefined && !info.isDirectory()) {
    throw settingError(name, `a directory, got ${JSON.stringify(text)}, which is not one`);
  }
  return text;
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>;

/** Parses `args` strictly: unknown options are errors that name the option and point to `--help`. */
export function parseCommandArgs<T extends OptionSpec>(command: string, args: string[], options: T) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (cause) {
    throw new CryptoLambdaError(
      CLI_ERRORS.usage,
      `${(cause as Error).message}. Run \`crypto-lambda ${command} --help\` for the options.`,
      { cause },
    );
  }
}

/** A time option: integer ms since the epoch, or an ISO-8601 date/time in UTC (`2019-10-11`). */
export function parseTimeOption(name: string, value: string | undefined): UnixMs | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const ms = Date.parse(/^\d{4}-\d\d-\d\d$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `--${name} ${JSON.stringify(value)} is neither ms since the epoch nor an ISO date such as 2019-10-11`,
    );
  }
  return ms;
}

/** A positive number option. */
export function parsePositiveOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0)) {
    throw new CryptoLambdaError(
      CLI_ERRORS.badOption,
      `--${name} must be a positive number, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

export function requireOption(command: string, name: string, value: string | undefined): string {
  if (value === undefined || value === '') {
    throw new CryptoLambdaError(
      CLI_ERRORS.usage,
      `crypto-lambda ${command} needs --${name}. Run \`crypto-lambda ${command} --help\` for an example.`,
    );
  }
  return value;
}
