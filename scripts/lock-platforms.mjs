#!/usr/bin/env node
// Records Biome's platform packages in package-lock.json. `npm ci` wants an entry for every
// optional platform package (npm/cli#4828, #8805), but npm only writes the ones it can resolve,
// and the registry mirror of our build machines serves Biome's Linux packages alone. Each entry
// carries the platform constraints from Biome's own package naming, so npm skips it everywhere
// but on its platform. Run it after any `npm install <package>` that rewrote the lock file.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const biome = lock.packages['node_modules/@biomejs/biome'];
let added = 0;
for (const [name, version] of Object.entries(biome?.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const match = /^@biomejs\/cli-(\w+)-(\w+?)(-musl)?$/.exec(name);
  if (match === null) throw new Error(`unexpected Biome platform package ${name}`);
  const [, os, cpu, musl] = match;
  const entry = { version, cpu: [cpu], dev: true };
  if (os === 'linux') entry.libc = [musl ? 'musl' : 'glibc'];
  Object.assign(entry, { license: biome.license, optional: true, os: [os], engines: biome.engines });
  lock.packages[key] = entry;
  added++;
}
const sorted = {};
for (const key of Object.keys(lock.packages).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) sorted[key] = lock.packages[key];
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} Biome platform entries added`);
