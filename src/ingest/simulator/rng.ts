/**
 * mulberry32: a small, fast 32-bit PRNG whose whole state is one integer, so a simulator's
 * position can carry it and a resumed run continues the exact sequence.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box-Muller; the second variate is dropped so the state stays one integer). */
  normal(): number;
  /** Exponential with mean 1. */
  exponential(): number;
  /** The state, to resume from with `createRng(state)`. */
  state(): number;
}

export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    exponential: () => -Math.log(1 - next()),
    state: () => s,
  };
}
