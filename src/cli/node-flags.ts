/**
 * The V8 flags a crypto-lambda process runs with: `bin/crypto-lambda`'s first line and the
 * `start` and `bench` scripts of package.json pass them (a test checks that all three carry
 * exactly these), and the benchmarks start their pipeline processes with them.
 *
 * `--max-semi-space-size=32`: a young generation of 32 MiB semi-spaces instead of V8's 16. The
 * pipeline always holds a few batches of trades in flight (the writer's appends, the speed
 * layer's inbox) and, with thousands of series, a round's candles and buckets; with 16 MiB most
 * of them were alive at each young-generation collection, copied, and promoted to the old
 * generation to die there. At 10,000 symbols 32 MiB took a quarter off the main thread's
 * scavenge time and gave +6% trades per CPU-second (BENCHMARKS.md); at 10 symbols it changes
 * nothing measurable. It costs up to 32 MiB more memory.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
