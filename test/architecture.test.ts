import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The folder rules of STYLE.md (points 1–3 and "what these codebases avoid") as a test that
 * fails: imports flow downstream only, through each stage's front door, `process.env` is read
 * in one `main`, no `any`, no default exports, files small enough to read in one sitting.
 */

/** Compiled to `dist/test/`; the sources stay in the repository. */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(REPO_ROOT, 'src');

/** Which stages each stage may import (besides itself). Data moves one way (ARCHITECTURE.md §2). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  log: ['domain'],
  ingest: ['domain', 'log'],
  speed: ['domain', 'log'],
  lake: ['domain', 'log'],
  batch: ['domain', 'log', 'lake'],
  serve: ['domain'],
  web: ['domain'],
  cli: ['domain', 'log', 'ingest', 'speed', 'lake', 'batch', 'serve', 'web'],
};
/** The one file that reads the environment (STYLE.md point 3). */
const ENV_READER = 'cli/main.ts';
const MAX_LINES = 400;
/** Non-blank lines of a function body: the long factory closures were split along their seams at 120. */
const MAX_FUNCTION_LINES = 120;

interface SourceFile {
  /** Path under `src/`, with `/` separators: `log/adapters/file/segment.ts`. */
  path: string;
  stage: string;
  text: string;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(full));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

function readSources(): SourceFile[] {
  return listTs(SRC)
    .map((full) => {
      const path = relative(SRC, full).split(sep).join('/');
      return {
        path,
        stage: path.includes('/') ? (path.split('/')[0] ?? '') : '',
        text: readFileSync(full, 'utf8'),
      };
    })
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Specifiers of a file's static imports, `export … from`, side-effect imports and dynamic
 * `import('…')`. Statements start a line (doc comments start with ` * `, so examples in them do
 * not count); the clause before `from` holds only names, braces, commas, `*` and `type`.
 */
function importSpecifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^(?:import|export)\s+(?:type\s+)?[\w*${}\s,]*?\s*from\s*['"]([^'"\n]+)['"]/gm,
    /^import\s*['"]([^'"\n]+)['"]/gm,
    /\bimport\(\s*['"]([^'"\n]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) found.push(match[1] as string);
  }
  return found;
}

/** Lines that are code, not comments: for the token rules, so prose may say "any". */
function codeLines(text: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  let inBlock = false;
  text.split('\n').forEach((raw, i) => {
    let code = raw;
    if (inBlock) {
      const end = code.indexOf('*/');
      if (end === -1) return;
      code = code.slice(end + 2);
      inBlock = false;
    }
    const trimmed = code.trimStart();
    if (trimmed.startsWith('//')) return;
    if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/', 2);
      if (end === -1) {
        inBlock = true;
        return;
      }
      code = trimmed.slice(end + 2);
    }
    out.push({ line: i + 1, code });
  });
  return out;
}

/** Where a relative specifier of `file` lands: its stage and its path under that stage. */
function target(file: SourceFile, specifier: string): { stage: string; inner: string } | undefined {
  const full = resolve(SRC, dirname(file.path), specifier);
  const rel = relative(SRC, full).split(sep).join('/');
  if (rel.startsWith('..') || rel === '') return undefined;
  const [stage, ...rest] = rel.split('/');
  return { stage: stage ?? '', inner: rest.join('/') };
}

const sources = readSources();

describe('architecture: the folder rules of STYLE.md', () => {
  it('reads every source file and finds its imports (the checker checks itself)', () => {
    assert.ok(sources.length > 50, `only ${sources.length} files under src/`);
    const sample = [
      "import assert from 'node:assert/strict';",
      "import type { A, B } from './a.js';",
      'import {',
      '  c,',
      '  type D,',
      "} from '../log/index.js';",
      "export { e } from './e.js';",
      "export * from './f.js';",
      "export type { G } from './g.js';",
      "import './side-effect.js';",
      "const h = await import('./h.js');",
      "/** import { x } from './in-doc-comment.js' */",
      " * import { y } from './in-doc-comment.js';",
      "export const z = 'from ./not-a-specifier.js';",
    ].join('\n');
    assert.deepEqual(importSpecifiers(sample).sort(), [
      '../log/index.js',
      './a.js',
      './e.js',
      './f.js',
      './g.js',
      './h.js',
      './side-effect.js',
      'node:assert/strict',
    ]);
    // Every file of a stage with more than one file imports something; a silent parser would not.
    const withImports = sources.filter((f) => importSpecifiers(f.text).length > 0).length;
    assert.ok(withImports > sources.length * 0.8, `imports found in only ${withImports} files`);
    // Every line that looks like the end of an import statement was understood.
    for (const file of sources) {
      const fromLines = codeLines(file.text).filter(({ code }) =>
        /^\s*(?:import|export|\}).*\bfrom\s*['"]/.test(code),
      );
      assert.ok(
        importSpecifiers(file.text).length >= fromLines.length,
        `${file.path}: ${fromLines.length} import lines, ${importSpecifiers(file.text).length} understood`,
      );
    }
  });

  it('has only known stages, each with its front door index.ts', () => {
    for (const file of sources) {
      assert.ok(
        file.stage in ALLOWED,
        `src/${file.path} is outside the stage folders ${Object.keys(ALLOWED).join(', ')}`,
      );
    }
    const stages = new Set(sources.map((f) => f.stage));
    for (const stage of stages) {
      // cli is the top of the flow: nobody imports it, its door is the executable (main.ts).
      const door = stage === 'cli' ? 'main.ts' : 'index.ts';
      assert.ok(existsSync(join(SRC, stage, door)), `src/${stage}/${door} is missing`);
    }
  });

  it('imports only flow downstream, and only through a stage front door', () => {
    const violations: string[] = [];
    for (const file of sources) {
      for (const specifier of importSpecifiers(file.text)) {
        if (!specifier.startsWith('.')) continue;
        const to = target(file, specifier);
        if (to === undefined) {
          violations.push(`src/${file.path}: ${specifier} leaves src/`);
          continue;
        }
        if (to.stage === file.stage) continue;
        if (!(ALLOWED[file.stage] ?? []).includes(to.stage)) {
          violations.push(`src/${file.path}: ${file.stage} may not import ${to.stage} (${specifier})`);
        }
        if (to.inner !== 'index.js') {
          violations.push(`src/${file.path}: ${specifier} bypasses src/${to.stage}/index.ts`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it(`reads process.env only in src/${ENV_READER}`, () => {
    const readers = sources
      .filter((f) => f.path !== ENV_READER)
      .flatMap((f) =>
        codeLines(f.text)
          .filter(({ code }) => /\bprocess\s*\.\s*env\b|\bprocess\s*\[\s*['"]env['"]\s*\]/.test(code))
          .map(({ line }) => `src/${f.path}:${line}`),
      );
    assert.deepEqual(readers, []);
    assert.match(
      sources.find((f) => f.path === ENV_READER)?.text ?? '',
      /process\.env/,
      `src/${ENV_READER} is where the environment is read`,
    );
  });

  it('has no default exports and no any', () => {
    const rules: [string, RegExp][] = [
      ['default export', /\bexport\s+default\b|\bexport\s*\{[^}]*\bas\s+default\b/],
      ['any', /:\s*any\b|\bas\s+any\b|<\s*any\s*[,>]|\bany\s*\[\s*\]|[|&]\s*any\b/],
    ];
    const violations: string[] = [];
    for (const file of sources) {
      for (const { line, code } of codeLines(file.text)) {
        for (const [rule, pattern] of rules) {
          if (pattern.test(code)) violations.push(`src/${file.path}:${line}: ${rule}: ${code.trim()}`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it(`keeps every source file within ${MAX_LINES} lines`, () => {
    const long = sources
      .map((f) => ({ path: f.path, lines: f.text.split('\n').length - (f.text.endsWith('\n') ? 1 : 0) }))
      .filter((f) => f.lines > MAX_LINES)
      .map((f) => `src/${f.path}: ${f.lines} lines`);
    assert.deepEqual(long, []);
  });

  it(`keeps every function in src/ within ${MAX_FUNCTION_LINES} lines (Biome's noExcessiveLinesPerFunction, biome.json)`, () => {
    const config = JSON.parse(readFileSync(join(REPO_ROOT, 'biome.json'), 'utf8')) as {
      overrides?: { includes: string[]; linter?: { rules?: Record<string, Record<string, unknown>> } }[];
    };
    const rule = config.overrides?.find((o) => o.includes.includes('src/**'))?.linter?.rules?.[
      'complexity'
    ]?.['noExcessiveLinesPerFunction'] as { level: string; options: { maxLines: number } } | undefined;
    assert.deepEqual([rule?.level, rule?.options.maxLines], ['error', MAX_FUNCTION_LINES]);
    const biome = join(REPO_ROOT, 'node_modules', '.bin', 'biome');
    const run = spawnSync(biome, ['lint', '--only=complexity/noExcessiveLinesPerFunction', 'src'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, `functions over ${MAX_FUNCTION_LINES} lines:\n${run.stdout}${run.stderr}`);
  });
});
