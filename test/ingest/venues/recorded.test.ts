import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { recordedRecvTs } from '../../../src/ingest/venues/recorded.js';

describe('recordedRecvTs', () => {
  it('reads the receive time of cryptofeed capture lines and {received_at, raw} records, in ms', () => {
    assert.equal(recordedRecvTs('1618677372.1768699: {"stream":"a@depth","data":{}}'), 1618677372177);
    assert.equal(recordedRecvTs('1618677372: {}'), 1618677372000);
    assert.equal(recordedRecvTs('{"received_at":1618677374.0321941,"raw":{"stream":"x"}}'), 1618677374032);
    assert.equal(recordedRecvTs('{ "received_at" : 1618677374, "raw": "{}" }'), 1618677374000);
    assert.equal(recordedRecvTs('{"received_at":1618677374}'), 1618677374000);
  });

  it('is undefined for lines without one, or with one that is not a time', () => {
    for (const line of [
      '',
      'wss://stream.binance.com:9443/stream?streams=btcusdt@aggTrade',
      '{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","E":1}}',
      '{"raw":{},"received_at":1618677374}',
      '{"received_at":"1618677374","raw":{}}',
      '{"received_at":0,"raw":{}}',
      '13519807,0.00141342,23.00000000,15373518,15373518,1570752011620,true,true',
      '0: {}',
      '12ab: {}',
    ]) {
      assert.equal(recordedRecvTs(line), undefined, line);
    }
  });
});
