import { parseArgs } from 'node:util';
import { CryptoLambdaError, type UnixMs } from '../domain/index.js';

/** Error codes of the command line. */
export const CLI_ERRORS = {
  usage: 'CLI_USAGE',
  badOption: 'CLI_BAD_OPTION',
  /** `<dataDir>/uptime.json` does not parse: move it aside (only past downtime marks are lost). */
  uptimeCorrupt: 'CLI_UPTIME_CORRUPT',
} as const;

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
