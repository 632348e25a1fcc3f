// `keyhole mcp [--secret NAME]… [--vault V]`: a Model Context Protocol server on stdio with the
// tools `list_secrets` and `request` (docs/cli.md, "keyhole mcp"). stdout is the protocol: every
// message of ours goes to stderr.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';
import { HTTP_METHODS } from '../../shared/protocol/forward.js';
import { parse, refusePasswordFlag } from '../args.js';
import type { Command } from '../command.js';
import { listSecretsTool, requestTool } from '../agent/mcp-tools.js';
import { openForAgents } from '../agent/open.js';
import { KEYHOLE_VERSION } from '../../shared/version.js';
import { EXIT_OK, info } from '../output.js';

export const mcp: Command = {
  help: `Usage: keyhole mcp [--secret NAME]... [--vault V]

A Model Context Protocol server on stdin/stdout, so that an AI agent can call APIs with secrets
it never sees. Tools:
  list_secrets   the secrets it may use: names, types, hosts — never values
  request        clientSecretRequest's fields (clientSecretName, url, method, headers, data,
                 params); $CLIENT_SECRET where the secret goes, or nothing and Keyhole puts it
                 where the secret's type says (bearer → Authorization: Bearer …)
Only secrets enabled for agents (keyhole secret update NAME --agent on) are offered; every call
goes through the relay's checks and audit log as agent:mcp. The master password comes from
KEYHOLE_PASSWORD (the agent's MCP configuration) or a terminal prompt.

Options:
  --secret NAME   offer only this secret; repeatable (default: every secret enabled for agents)
  --vault V       look secrets up in this vault only

Example (an MCP client configuration):
  { "mcpServers": { "keyhole": { "command": "keyhole", "args": ["mcp"],
      "env": { "KEYHOLE_PASSWORD": "…" } } } }`,

  async run(argv) {
    refusePasswordFlag(argv);
    const { values } = parse(
      argv,
      { secret: { type: 'string', multiple: true }, vault: { type: 'string' } },
      'mcp',
    );
    const { access, exposed } = await openForAgents('mcp', values.secret, values.vault);
    if (exposed.length === 0) {
      info(
        '! keyhole mcp: no secret is enabled for agents yet (keyhole secret update NAME --agent on).',
      );
    }
    const server = new McpServer({ name: 'keyhole', version: KEYHOLE_VERSION });
    server.registerTool(
      'list_secrets',
      {
        title: 'List secrets',
        description:
          'Lists the API secrets this agent may use: name, type and allowed hosts (never a value).',
        annotations: { readOnlyHint: true, openWorldHint: false },
      },
      () => listSecretsTool(access),
    );
    server.registerTool(
      'request',
      {
        title: 'Call an API with a secret',
        description:
          'Sends an HTTP request through the Keyhole relay with a secret put in on the relay: ' +
          "you never see it. url must be on one of the secret's hosts (see list_secrets). Write " +
          '$CLIENT_SECRET where the secret goes (e.g. headers: {"Authorization": "Bearer ' +
          '$CLIENT_SECRET"}), or leave it out and Keyhole places it as the secret\'s type says. ' +
          'Answers {status, headers, body}.',
        inputSchema: {
          clientSecretName: z.string().describe('a secret name from list_secrets'),
          url: z.string().describe('the full URL, e.g. https://api.openai.com/v1/models'),
          method: z.enum(HTTP_METHODS).optional().describe('default GET, or POST with data'),
          headers: z.record(z.string(), z.string()).optional(),
          data: z
            .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
            .optional()
            .describe('the body: an object is sent as JSON, a string as is'),
          params: z
            .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
            .optional()
            .describe('query-string parameters'),
        },
        annotations: { openWorldHint: true },
      },
      (input) => requestTool(access, input),
    );
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      process.stdin.once('end', () => resolve());
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await server.connect(transport);
    info(`keyhole mcp: ready (${exposed.length} secret(s) enabled for agents)`);
    await closed;
    await server.close().catch(() => undefined);
    access.vault.save();
    return EXIT_OK;
  },
};
