#!/usr/bin/env node
// Records every optional platform package of the dependencies in package-lock.json. `npm ci`
// wants an entry for each (npm/cli#4828, #8805), but npm only writes the ones it can resolve,
// and the registry mirror of our build machines serves the Linux builds alone (Biome's CLI,
// DuckDB's bindings). Each entry carries the os/cpu/libc constraints its name states
// (`…-darwin-arm64`, `…-linux-x64-musl`), so npm skips it everywhere but on its platform.
// Run it after any `npm install <package>` that rewrote the lock file.
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const PLATFORM = /-(android|darwin|linux|win32|freebsd)-(x64|arm64|ia32|arm)(-musl|-gnu)?$/;
let added = 0;
for (const [parentKey, parent] of Object.entries(lock.packages)) {
  for (const [name, version] of Object.entries(parent.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    const match = PLATFORM.exec(name);
    if (lock.packages[key] || match === null) continue;
    const [, os, cpu, libc] = match;
    const entry = { version, cpu: [cpu] };
    if (parent.dev) entry.dev = true;
    if (os === 'linux') entry.libc = [libc === '-musl' ? 'musl' : 'glibc'];
    if (parent.license) entry.license = parent.license;
    entry.optional = true;
    entry.os = [os];
    if (parent.engines) entry.engines = parent.engines;
    lock.packages[key] = entry;
    added++;
    console.log(`${parentKey}: ${name}@${version}`);
  }
}
const sorted = {};
for (const key of Object.keys(lock.packages).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) sorted[key] = lock.packages[key];
lock.packages = sorted;
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: ${added} platform entries added`);
