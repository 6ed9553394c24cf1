/**
 * The Node flags the product runs with (`bin/crypto-lambda`'s first line, `npm start`): the
 * benchmark's child processes take them too, so they measure what users run.
 */
export const PRODUCT_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
