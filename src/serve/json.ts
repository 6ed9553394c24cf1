import { DEFAULT_DECIMALS, formatDecimal } from '../domain/index.js';

/**
 * The one place the serving layer turns values into JSON text, for HTTP responses and WebSocket
 * frames alike. Prices, quantities and volumes are float64 inside; what a person or another
 * system reads is rounded to the venue's precision, 8 decimals where unknown, and never in
 * exponent notation (ARCHITECTURE.md §3): `205.29999999999998` is written `205.3`, `1e-7` is
 * written `0.0000001`. Every number that is not an integer is written that way (prices, sizes,
 * volumes, and the ratios beside them: a change in percent, a score); integers (times, counts)
 * are written as they are. No venue's precision is known yet, so 8 decimals apply to all.
 */

const SCALE = 10 ** DEFAULT_DECIMALS;

/**
 * A number rounded to 8 decimals (half away from zero, on the float); integers unchanged. The
 * shortest text of the result has at most 8 decimals.
 */
export function roundJsonNumber(value: number): number {
  return Number.isInteger(value) ? value : Math.round(value * SCALE) / SCALE;
}

/** A number as JSON text: rounded by `roundJsonNumber`, never in exponent notation; `null` if not finite. */
export function formatJsonNumber(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  const rounded = roundJsonNumber(value);
  const text = String(rounded);
  return text.includes('e') ? formatDecimal(rounded, DEFAULT_DECIMALS) : text;
}

/** A JSON schema as TypeBox writes it: the keywords the writer reads. */
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
}

const roundNumbers = (_key: string, value: unknown): unknown =>
  typeof value === 'number' ? roundJsonNumber(value) : value;

/** A number token in exponent notation, as `JSON.stringify` writes below 1e-6 (or in a string). */
const EXPONENT = /\de[-+]?\d/;

/**
 * Any value as JSON, numbers formatted by `formatJsonNumber`: for values without a schema (the
 * WebSocket's frames). `JSON.stringify` does the work; only when its text holds something like an
 * exponent (a value below 0.000001, or such text inside a string) is the value written again by
 * a walker that spells every number out.
 */
export function toJson(value: unknown): string {
  const text = JSON.stringify(value, roundNumbers) ?? 'null';
  return EXPONENT.test(text) ? (writeAny(value) ?? 'null') : text;
}

function writeAny(value: unknown): string | undefined {
  switch (typeof value) {
    case 'number':
      return formatJsonNumber(value);
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object':
      return value === null ? 'null' : writeObject(value);
    default:
      return undefined;
  }
}

/** A property name inside quotes: as it is unless it needs escaping (ours never do). */
function escapeKey(key: string): string {
  return /^[\w$-]*$/.test(key) ? key : JSON.stringify(key).slice(1, -1);
}

function writeObject(value: object): string | undefined {
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return writeAny(withToJson.toJSON());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + (writeAny(value[i]) ?? 'null');
    return `${out}]`;
  }
  let out = '{';
  for (const [key, v] of Object.entries(value)) {
    const text = writeAny(v);
    if (text !== undefined) out += `${out.length === 1 ? '' : ','}"${escapeKey(key)}":${text}`;
  }
  return `${out}}`;
}

/**
 * A writer for values of `schema` (a fastify response schema): objects keep the properties the
 * schema declares, in its order, as fast-json-stringify does, so nothing undeclared leaks out;
 * numbers are rounded by `roundJsonNumber` and written as `toJson` writes them. The value is
 * first copied down to the schema (numbers rounded on the way), then `JSON.stringify` writes it.
 */
export function compileJsonWriter(schema: unknown): (value: unknown) => string {
  const prune = compile(schema as Schema);
  return (value) => {
    const pruned = prune(value);
    const text = JSON.stringify(pruned) ?? 'null';
    return EXPONENT.test(text) ? (writeAny(pruned) ?? 'null') : text;
  };
}

/** Copies a value down to what its schema declares. */
type Pruner = (value: unknown) => unknown;

function compile(schema: Schema): Pruner {
  const union = schema.anyOf ?? schema.oneOf;
  if (union !== undefined) return compileUnion(union);
  const type = Array.isArray(schema.type) ? undefined : schema.type;
  if (type === 'object' && schema.properties !== undefined) return compileObject(schema);
  if (type === 'object' && schema.patternProperties !== undefined) {
    const entry = compile(Object.values(schema.patternProperties)[0] ?? {});
    return (value) => {
      if (value === null || typeof value !== 'object') return leaf(value);
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) out[key] = entry(v);
      return out;
    };
  }
  if (type === 'array' && schema.items !== undefined) {
    const item = compile(schema.items);
    return (value) => (Array.isArray(value) ? value.map(item) : leaf(value));
  }
  return leaf;
}

function compileObject(schema: Schema): Pruner {
  const fields = Object.entries(schema.properties ?? {}).map(
    ([key, property]) => [key, compile(property)] as const,
  );
  return (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return leaf(value);
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, prune] of fields) {
      const v = record[key];
      if (v !== undefined) out[key] = prune(v);
    }
    return out;
  };
}

/** A value the schema says nothing more about: numbers rounded, objects and arrays as they are. */
function leaf(value: unknown): unknown {
  return typeof value === 'number' ? roundJsonNumber(value) : value;
}

/** A union (`Type.Union`, a nullable): the first branch whose kind fits the value. */
function compileUnion(branches: readonly Schema[]): Pruner {
  const compiled = branches.map((b) => ({ kind: kindOf(b), prune: compile(b) }));
  return (value) => {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    const branch = compiled.find((b) => b.kind === kind || (kind === 'number' && b.kind === 'integer'));
    return branch === undefined ? leaf(value) : branch.prune(value);
  };
}

function kindOf(schema: Schema): string | undefined {
  return typeof schema.type === 'string' ? schema.type : undefined;
}
