// Test helper: a stand-in for the OpenAI API on 127.0.0.2 (a third-party API, so a mock). It
// answers chat completions (JSON or SSE, one event per pause) only when the expected key arrived,
// and otherwise echoes the key it got, as the real API does in its 401 message.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OpenAiMock {
  url: string;
  hostPort: string;
  /** every request: method, path, headers */
  seen: { method: string; path: string; headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startOpenAiMock(expectedKey: string, eventGapMs = 150): Promise<OpenAiMock> {
  const seen: OpenAiMock['seen'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      void (async () => {
        const path = req.url ?? '';
        seen.push({ method: req.method ?? '', path, headers: req.headers, body });
        const auth = req.headers.authorization ?? '';
        if (path === '/v1/messages') {
          // Anthropic's shape: the key in x-api-key, never in Authorization.
          const ok = req.headers['x-api-key'] === expectedKey && auth === '';
          res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify(
              ok
                ? { type: 'message', content: [{ type: 'text', text: 'Hello from Claude mock.' }] }
                : {
                    type: 'error',
                    error: { message: `invalid x-api-key: ${String(req.headers['x-api-key'])}` },
                  },
            ),
          );
          return;
        }
        if (auth !== `Bearer ${expectedKey}`) {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              error: {
                message: `Incorrect API key provided: ${auth}`,
                type: 'invalid_request_error',
              },
            }),
          );
          return;
        }
        if (req.method === 'POST' && path === '/v1/chat/completions') {
          const request = JSON.parse(body || '{}') as { stream?: boolean; model?: string };
          const words = ['Hello', ' from', ' the', ' mock', '.'];
          if (request.stream) {
            res.writeHead(200, {
              'content-type': 'text/event-stream',
              'cache-control': 'no-cache',
            });
            for (const [i, word] of words.entries()) {
              const chunk = {
                id: 'chatcmpl-1',
                object: 'chat.completion.chunk',
                created: 1,
                model: request.model ?? 'gpt-test',
                choices: [{ index: 0, delta: { content: word }, finish_reason: null }],
              };
              res.write(`data: ${JSON.stringify(chunk)}\n\n`);
              if (i < words.length - 1) await sleep(eventGapMs);
            }
            res.end('data: [DONE]\n\n');
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'chatcmpl-1',
              object: 'chat.completion',
              created: 1,
              model: request.model ?? 'gpt-test',
              choices: [
                {
                  index: 0,
                  message: { role: 'assistant', content: words.join('') },
                  finish_reason: 'stop',
                },
              ],
              usage: { prompt_tokens: 1, completion_tokens: 5, total_tokens: 6 },
            }),
          );
          return;
        }
        if (path.startsWith('/v1/echo')) {
          // What arrived (the relay scrubs the key out of it on the way back).
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ method: req.method, path, authorization: auth, body }));
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not found' } }));
      })();
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.2', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.2:${port}`,
    hostPort: `127.0.0.2:${port}`,
    seen,
    close: () =>
      new Promise((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
