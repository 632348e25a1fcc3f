// What the `keyhole mcp` tools do, apart from the MCP plumbing (commands/mcp.ts): `list_secrets`
// (names, types, hosts — never values) and `request` (clientSecretRequest's fields, sent through
// the relay as `agent:mcp`). The agent never receives a secret: the relay scrubs answers too.
import { parseText } from '../../shared/client/forward-response.js';
import { KeyholeError, toErrorBody } from '../../shared/errors.js';
import { parseAllowedHost } from '../../shared/policy/allowed-hosts.js';
import { listPlaceholders } from '../../shared/policy/placeholders.js';
import type { HttpMethod } from '../../shared/protocol/forward.js';
import type { AgentAccess } from './access.js';
import { credentialSlot } from './credential.js';
import { withQueryParam } from './endpoint.js';

/** The agent reads at most this much of an answer (the rest is cut, and it is told). */
export const MAX_ANSWER_BYTES = 256 * 1024;

export interface ToolText {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  isError?: boolean;
}

export interface RequestInput {
  clientSecretName: string;
  url: string;
  method?: HttpMethod | undefined;
  headers?: Record<string, string> | undefined;
  data?: unknown;
  params?: Record<string, string | number | boolean> | undefined;
}

export function listSecretsTool(access: AgentAccess): Promise<ToolText> {
  return guarded(async () => {
    await access.refresh();
    const secrets = access.enabled().map(({ payload }) => ({
      name: payload.name,
      type: payload.type,
      hosts: payload.allowedHosts,
    }));
    return text({ secrets });
  });
}

export function requestTool(access: AgentAccess, input: RequestInput): Promise<ToolText> {
  return guarded(async () => {
    const entry = await access.resolve(input.clientSecretName);
    const method = input.method ?? (input.data === undefined ? 'GET' : 'POST');
    const headers = { ...(input.headers ?? {}) };
    let url = input.url;
    // No placeholder written: put the secret where its type says, as the local endpoint does.
    if (
      listPlaceholders({ url, method, headers, data: input.data, params: input.params }).length ===
      0
    ) {
      const host = safeHost(url);
      const slot = credentialSlot(entry.payload, host, headerValue(headers, 'authorization'));
      if (slot.kind === 'header') {
        for (const key of Object.keys(headers))
          if (key.toLowerCase() === slot.name.toLowerCase()) delete headers[key];
        headers[slot.name] = slot.value;
      } else if (slot.kind === 'query') {
        url = withQueryParam(url, slot.name, slot.value);
      }
    }
    const res = await access.forward({
      clientSecretName: input.clientSecretName,
      url,
      method,
      headers,
      ...(input.data !== undefined ? { data: input.data } : {}),
      ...(input.params !== undefined ? { params: input.params } : {}),
    });
    const { body, truncated } = await readCapped(res);
    const answer: Record<string, unknown> = {
      status: res.status,
      headers: Object.fromEntries(res.headers),
      body: parseText(body, res.headers.get('content-type')),
    };
    if (truncated) answer.truncated = `only the first ${MAX_ANSWER_BYTES} bytes are shown`;
    const out = text(answer);
    if (res.status >= 400) out.isError = true;
    return out;
  });
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

async function readCapped(res: Response): Promise<{ body: string; truncated: boolean }> {
  if (!res.body) return { body: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= MAX_ANSWER_BYTES) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  const bytes = Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES);
  return { body: new TextDecoder().decode(bytes), truncated };
}

function text(value: unknown): ToolText {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }] };
}

/** Errors become a tool error `CODE: message` (never a stack, never a value). */
async function guarded(fn: () => Promise<ToolText>): Promise<ToolText> {
  try {
    return await fn();
  } catch (err) {
    const body = toErrorBody(err);
    const out: ToolText = {
      content: [{ type: 'text', text: `${body.code}: ${body.message}` }],
      isError: true,
    };
    if (err instanceof KeyholeError && err.code === 'UPSTREAM_ERROR' && err.body !== undefined) {
      out.content.push({
        type: 'text',
        text: JSON.stringify({ status: err.status, body: err.body }),
      });
    }
    return out;
  }
}

/** Used by the tool description: the hosts an agent may call, from the first allowed host. */
export function exampleUrl(host: string): string {
  const rule = parseAllowedHost(host);
  if (!rule || rule.wildcard) return 'https://HOST/PATH';
  return `${rule.scheme}://${rule.host}${rule.pathPrefix}/…`;
}
