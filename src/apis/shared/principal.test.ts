import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { principalOf } from './principal.js';
import type { Principal } from '../../identity/credentials.js';

const request = (principal: Principal | null) => ({ principal, method: 'GET', url: '/x?y=1', routeOptions: { url: '/x' } }) as unknown as FastifyRequest;

test('principalOf returns the principal the auth hook set', () => {
  const principal = { companyId: 'c1' } as unknown as Principal;
  assert.equal(principalOf(request(principal)), principal);
});

test('principalOf names the route that ran without its auth hook', () => {
  assert.throws(() => principalOf(request(null)), /GET \/x ran without its API's auth hook/);
});
