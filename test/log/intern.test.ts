import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createInternTable, intern } from '../../src/log/intern.js';

function internAll(table: ReturnType<typeof createInternTable>, names: readonly string[]): string[] {
  return names.map((name) => {
    const bytes = Buffer.from(`..${name}`, 'latin1');
    return intern(table, bytes, 2, bytes.length - 2);
  });
}

test('gives back the decoded string, and long strings untouched', () => {
  const table = createInternTable(64, 8, 'utf8');
  assert.deepEqual(internAll(table, ['BTC-USDT', 'ETH-USDT', 'BTC-USDT', '']), [
    'BTC-USDT',
    'ETH-USDT',
    'BTC-USDT',
    '',
  ]);
  assert.deepEqual(internAll(table, ['LONGER-THAN-8']), ['LONGER-THAN-8']);
  assert.ok(!table.strings.includes('LONGER-THAN-8'));
});

test('keeps 10,000 similar symbols in a table of 65,536 slots (the codecs size): none evicts another', () => {
  const names = Array.from({ length: 10_000 }, (_, i) => `S${i}-USDT`);
  const table = createInternTable(65_536, 32, 'latin1');
  assert.deepEqual(internAll(table, names), names);
  const kept = new Set(table.strings.filter((s) => s !== ''));
  assert.equal(kept.size, names.length, 'every symbol has a slot of its own');
});

test('a full neighbourhood replaces an entry and stays correct', () => {
  const table = createInternTable(4, 32, 'latin1');
  const names = Array.from({ length: 50 }, (_, i) => `X${i}`);
  assert.deepEqual(internAll(table, [...names, ...names]), [...names, ...names]);
});
