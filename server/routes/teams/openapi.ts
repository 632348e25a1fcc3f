// The team routes' part of GET /v1/openapi.json (server/openapi.ts spreads it into `paths`).
import { z } from 'zod';
import * as team from '../../../shared/protocol/team.js';

const schema = (s: z.ZodType, io: 'input' | 'output'): Record<string, unknown> => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};
const body = (s: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: schema(s, 'input') } },
});
const ok = (s: z.ZodType, description = 'OK') => ({
  description,
  content: { 'application/json': { schema: schema(s, 'output') } },
});
const error = {
  description: 'Error (see the keyhole-error header)',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};
const secured = [{ session: [] }];
const path = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string' } });
const errors = { 400: error, 401: error, 403: error, 404: error, 409: error };

export function teamOpenApiPaths(): Record<string, unknown> {
  return {
    '/v1/teams': {
      post: {
        summary: 'Create a team vault; the caller becomes its owner (docs/teams.md)',
        security: secured,
        requestBody: body(team.CreateTeamRequest),
        responses: { 201: ok(team.CreateTeamResponse, 'Created'), ...errors },
      },
    },
    '/v1/keys/{email}': {
      get: {
        summary: "An account's public key, to invite it (signed-in callers only; rate-limited)",
        security: secured,
        parameters: [path('email')],
        responses: { 200: ok(team.PublicKeyResponse), 401: error, 404: error, 429: error },
      },
    },
    '/v1/teams/{vaultId}/members': {
      get: {
        summary: 'Active members with role and public key',
        security: secured,
        parameters: [path('vaultId')],
        responses: { 200: ok(team.ListMembersResponse), 401: error, 404: error },
      },
      post: {
        summary: 'Add a member with the current vault key sealed to them (owner/admin)',
        security: secured,
        parameters: [path('vaultId')],
        requestBody: body(team.AddMemberRequest),
        responses: { 201: ok(team.AddMemberResponse, 'Added'), ...errors },
      },
    },
    '/v1/teams/{vaultId}/members/{accountId}': {
      delete: {
        summary: 'Remove a member and rotate the vault key, atomically (owner/admin)',
        security: secured,
        parameters: [path('vaultId'), path('accountId')],
        requestBody: body(team.RotateRequest),
        responses: { 200: ok(team.RotateResponse), ...errors, 413: error },
      },
    },
    '/v1/teams/{vaultId}/rotate': {
      post: {
        summary: 'Rotate the vault key without removing anyone (owner/admin)',
        security: secured,
        parameters: [path('vaultId')],
        requestBody: body(team.RotateRequest),
        responses: { 200: ok(team.RotateResponse), ...errors, 413: error },
      },
    },
    '/v1/teams/{vaultId}/audit': {
      get: {
        summary: "The team's forwarding log: all rows for owners/admins, own rows for others",
        security: secured,
        parameters: [
          path('vaultId'),
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 },
          },
          { name: 'before', in: 'query', schema: { type: 'integer', minimum: 0 } },
        ],
        responses: { 200: ok(team.AuditResponse), 400: error, 401: error, 404: error },
      },
    },
  };
}
