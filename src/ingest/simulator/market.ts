import type { Trade } from '../../domain/index.js';
import type { Rng } from './rng.js';

/** One simulated market. */
export interface SimSymbol {
  /** Canonical `BASE-QUOTE`. */
  symbol: string;
  /** Starting price, and the level the price slowly reverts to. */
  price: number;
  /** Price increment, as the venue lists it (BTC-USDT: 0.01). */
  tickSize: number;
  /** Quantity increment (BTC-USDT: 0.00001). */
  lotSize: number;
  /** Annualised volatility of the log price (0.6 = 60 %). */
  volatility: number;
  /** Share of all trades (weights are normalised). */
  weight: number;
  /** Median trade size in the quote asset. */
  medianNotional: number;
}

/** Eight liquid Binance spot markets at plausible 2024 levels and their real tick and lot sizes. */
export const DEFAULT_SIM_SYMBOLS: readonly SimSymbol[] = [
  {
    symbol: 'BTC-USDT',
    price: 60000,
    tickSize: 0.01,
    lotSize: 0.00001,
    volatility: 0.6,
    weight: 30,
    medianNotional: 400,
  },
  {
    symbol: 'ETH-USDT',
    price: 3000,
    tickSize: 0.01,
    lotSize: 0.0001,
    volatility: 0.75,
    weight: 20,
    medianNotional: 300,
  },
  {
    symbol: 'SOL-USDT',
    price: 150,
    tickSize: 0.01,
    lotSize: 0.001,
    volatility: 1,
    weight: 12,
    medianNotional: 200,
  },
  {
    symbol: 'XRP-USDT',
    price: 0.55,
    tickSize: 0.0001,
    lotSize: 0.1,
    volatility: 0.9,
    weight: 10,
    medianNotional: 150,
  },
  {
    symbol: 'BNB-USDT',
    price: 580,
    tickSize: 0.01,
    lotSize: 0.001,
    volatility: 0.6,
    weight: 8,
    medianNotional: 200,
  },
  {
    symbol: 'DOGE-USDT',
    price: 0.12,
    tickSize: 0.00001,
    lotSize: 1,
    volatility: 1.1,
    weight: 8,
    medianNotional: 100,
  },
  {
    symbol: 'ADA-USDT',
    price: 0.45,
    tickSize: 0.0001,
    lotSize: 0.1,
    volatility: 0.9,
    weight: 6,
    medianNotional: 100,
  },
  {
    symbol: 'AVAX-USDT',
    price: 35,
    tickSize: 0.01,
    lotSize: 0.01,
    volatility: 1,
    weight: 6,
    medianNotional: 150,
  },
];

/** The part of a simulated market that changes; JSON-serialisable, it is the resume position. */
export interface SymbolState {
  logPrice: number;
  nextId: number;
  lastTs: number;
  lastReturn: number;
}

const SECONDS_PER_YEAR = 365 * 86_400;
/** Prices drift back to their starting level over hours, so a long soak stays plausible. */
const REVERSION_PER_SEC = 1 / (6 * 3600);
/** A jump (news, a liquidation) every ten minutes per market on average. */
const JUMP_EVERY_SEC = 600;
const JUMP_SIGMA = 0.008;
const SIZE_SIGMA = 1.2;
const WHALE_PROBABILITY = 0.003;
/** Beyond this, a gap between trades moves the price no further: a pause is not a crash. */
const MAX_STEP_SEC = 60;

/** A market with the constants its trades need, worked out once. */
export interface Market {
  spec: SimSymbol;
  sigmaPerSqrtSec: number;
  logAnchor: number;
  priceDecimals: number;
  qtyDecimals: number;
}

export function toMarket(spec: SimSymbol): Market {
  return {
    spec,
    sigmaPerSqrtSec: spec.volatility / Math.sqrt(SECONDS_PER_YEAR),
    logAnchor: Math.log(spec.price),
    priceDecimals: decimalsOf(spec.tickSize),
    qtyDecimals: decimalsOf(spec.lotSize),
  };
}

export function initialState(market: Market, firstTradeId: number, startTs: number): SymbolState {
  return { logPrice: market.logAnchor, nextId: firstTradeId, lastTs: startTs, lastReturn: 0 };
}

/**
 * The next trade of a market at `ts`: the log price takes a geometric-Brownian step for the
 * time since its last trade (with weak mean reversion and occasional jumps), the size is
 * lognormal with occasional whales, and takers lean with the last move.
 */
export function nextTrade(market: Market, state: SymbolState, rng: Rng, ts: number, recvTs: number): Trade {
  const { spec } = market;
  const dtSec = Math.min(MAX_STEP_SEC, Math.max(0.001, (ts - state.lastTs) / 1000));
  const sigma = market.sigmaPerSqrtSec;
  let step =
    (REVERSION_PER_SEC * (market.logAnchor - state.logPrice) - 0.5 * sigma * sigma) * dtSec +
    sigma * Math.sqrt(dtSec) * rng.normal();
  if (rng.next() < dtSec / JUMP_EVERY_SEC) step += JUMP_SIGMA * rng.normal();
  state.logPrice += step;
  state.lastTs = Math.max(state.lastTs, ts);
  state.lastReturn = step;

  const ticks = Math.max(1, Math.round(Math.exp(state.logPrice) / spec.tickSize));
  const price = Number((ticks * spec.tickSize).toFixed(market.priceDecimals));
  let notional = spec.medianNotional * Math.exp(SIZE_SIGMA * rng.normal());
  if (rng.next() < WHALE_PROBABILITY) notional *= 20 + 180 * rng.next();
  const lots = Math.max(1, Math.round(notional / price / spec.lotSize));
  const qty = Number((lots * spec.lotSize).toFixed(market.qtyDecimals));
  const buyProbability = 0.5 + Math.max(-0.2, Math.min(0.2, step * 200));
  // Most aggTrades fill one resting order; a sweep fills a few.
  const count = rng.next() < 0.8 ? 1 : 2 + Math.floor(rng.exponential() * 2);

  const tradeId = String(state.nextId);
  state.nextId++;
  return {
    venue: 'sim',
    symbol: spec.symbol,
    tradeId,
    ts,
    price,
    qty,
    side: rng.next() < buyProbability ? 'buy' : 'sell',
    count,
    recvTs,
  };
}

function decimalsOf(increment: number): number {
  return Math.max(0, Math.ceil(-Math.log10(increment) - 1e-9));
}
