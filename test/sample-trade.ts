import type { Trade } from '../src/domain/index.js';

/** The first aggTrade of the real XRPETH fixture day (2019-10-11), as a domain trade. */
export const XRPETH_FIRST_TRADE: Trade = {
  venue: 'binance',
  symbol: 'XRP-ETH',
  tradeId: '13519807',
  ts: 1570752011620,
  price: 0.00141342,
  qty: 23,
  side: 'sell',
  count: 1,
  recvTs: 1570752011620,
};
