// The OpenAPI 3.1 document for GET /v1/openapi.json, built from the shared zod schemas.
import { z } from 'zod';
import { ERROR_CODES } from '../shared/errors.js';
import * as auth from '../shared/protocol/auth.js';
import * as forward from '../shared/protocol/forward.js';
import * as vault from '../shared/protocol/vault.js';
import { teamOpenApiPaths } from './routes/teams/openapi.js';

const json = (schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
};

const ErrorBody = z.object({
  error: z.object({
    code: z.enum(ERROR_CODES),
    message: z.string(),
    retryAfter: z.number().optional(),
    status: z.number().optional(),
    body: z.unknown().optional(),
    details: z.unknown().optional(),
  }),
});

function body(schema: z.ZodType) {
  return { required: true, content: { 'application/json': { schema: json(schema, 'input') } } };
}
function ok(schema: z.ZodType, description = 'OK') {
  return { description, content: { 'application/json': { schema: json(schema, 'output') } } };
}
const errorRef = {
  description: 'Error (see the keyhole-error header)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const secured = [{ session: [] }];
const vaultIdParam = { name: 'vaultId', in: 'path', required: true, schema: { type: 'string' } };

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'Keyhole relay',
      version: '1',
      description: 'See docs/protocol.md for the semantics.',
    },
    components: {
      securitySchemes: {
        session: {
          type: 'http',
          scheme: 'bearer',
          description: 'Session token from /v1/auth/login',
        },
      },
      schemas: { Error: json(ErrorBody, 'output') },
    },
    paths: {
      '/v1/health': {
        get: {
          summary: 'Liveness and store reachability',
          responses: { 200: { description: 'OK' }, 503: errorRef },
        },
      },
      '/v1/auth/prelogin': {
        post: {
          summary: 'KDF parameters for an email (stable fake ones for unknown emails)',
          requestBody: body(auth.PreloginRequest),
          responses: { 200: ok(auth.PreloginResponse), 400: errorRef },
        },
      },
      '/v1/auth/signup': {
        post: {
          summary: 'Create an account and its personal vault',
          requestBody: body(auth.SignupRequest),
          responses: {
            201: ok(auth.SignupResponse, 'Created'),
            400: errorRef,
            409: errorRef,
            413: errorRef,
            429: errorRef,
          },
        },
      },
      '/v1/auth/login': {
        post: {
          summary: 'Exchange the auth key for a session token',
          requestBody: body(auth.LoginRequest),
          responses: { 200: ok(auth.LoginResponse), 400: errorRef, 401: errorRef, 429: errorRef },
        },
      },
      '/v1/auth/logout': {
        post: {
          summary: 'Revoke the session',
          security: secured,
          responses: { 200: { description: 'Revoked' }, 401: errorRef },
        },
      },
      '/v1/accounts/me': {
        get: {
          summary: 'The signed-in account',
          security: secured,
          responses: { 200: { description: 'accountId, email, publicKey' }, 401: errorRef },
        },
      },
      '/v1/vaults': {
        get: {
          summary: "The account's vaults",
          security: secured,
          responses: { 200: ok(vault.ListVaultsResponse), 401: errorRef },
        },
      },
      '/v1/vaults/{vaultId}/items': {
        get: {
          summary: 'Changes after `since` (tombstones included), oldest first',
          security: secured,
          parameters: [
            vaultIdParam,
            { name: 'since', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
            {
              name: 'limit',
              in: 'query',
              schema: { type: 'integer', minimum: 1, maximum: 1000, default: 500 },
            },
          ],
          responses: { 200: ok(vault.PullResponse), 401: errorRef, 404: errorRef },
        },
        post: {
          summary: 'Apply a batch of writes atomically',
          security: secured,
          parameters: [vaultIdParam],
          requestBody: body(vault.PushRequest),
          responses: {
            200: ok(vault.PushResponse),
            400: errorRef,
            401: errorRef,
            403: errorRef,
            404: errorRef,
            409: errorRef,
            413: errorRef,
          },
        },
      },
      '/v1/forward': {
        post: {
          summary: 'Forward a request with secrets substituted (docs/forward.md)',
          security: secured,
          requestBody: body(forward.ForwardRequest),
          responses: {
            200: { description: "The upstream's answer, streamed" },
            202: ok(forward.ForwardTicket, 'Queued or polled'),
            default: errorRef,
          },
        },
      },
      '/v1/forward/requests/{id}': {
        get: {
          summary: 'A queued or polled request',
          security: secured,
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: ok(forward.ForwardTicket), 404: errorRef, 410: errorRef },
        },
      },
      ...teamOpenApiPaths(),
    },
  };
  return cached;
}
