import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ServeDeps } from './deps.js';
import type { ServeOptions } from './options.js';

/** The fastify instance `buildServer` returns, typed by TypeBox schemas. */
export type ServeApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What every resource plugin is registered with. */
export interface ServeContext {
  deps: ServeDeps;
  options: ServeOptions;
}

/** A resource plugin: one per resource, registered by `buildServer`. */
export type ResourcePlugin<Extra = Record<never, never>> = FastifyPluginAsyncTypebox<ServeContext & Extra>;
