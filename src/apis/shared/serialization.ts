/**
 * Response serializers compiled when a route first answers with a status, not at start.
 *
 * Fastify compiles a fast-json-stringify serializer for every response schema of every route
 * while the server starts: about 10 % of `roster serve`'s start-up CPU, and the generated code
 * sits in memory for routes a deployment may never call (issue 15). This is Fastify's own default
 * factory (@fastify/fast-json-stringify-compiler, the same version Fastify uses), each serializer
 * built on its first use and kept. The output is the same; a broken schema would fail at its
 * route's first answer instead of at start, and the tests answer through every documented route.
 */
import SerializerSelector from '@fastify/fast-json-stringify-compiler';

type Factory = ReturnType<typeof SerializerSelector>;

export function lazySerializerFactory(): Factory {
  const eager = SerializerSelector();
  return (externalSchemas, options) => {
    const compile = eager(externalSchemas, options);
    return (route) => {
      let serialize: ((doc: unknown) => string) | undefined;
      return (doc: unknown) => (serialize ??= compile(route))(doc);
    };
  };
}
