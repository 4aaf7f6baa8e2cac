import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions
 * protocol (`POST /v1/chat/completions`) with scripted answers: for tests of
 * model brains and of the guard's fallbacks. Not for production use.
 */
export interface ScriptedAnswer {
  /** Answer with a tool call; `arguments` is sent as given when a string, else as JSON. */
  toolCall?: { name?: string; arguments: unknown };
  /** Answer with assistant text. */
  content?: string;
  /** Wait this long before answering (a slow model). */
  delayMs?: number;
  /** An HTTP error instead of an answer. */
  status?: number;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

export interface RecordedChatRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: {
    model?: string;
    messages?: Array<{ role: string; content: unknown }>;
    tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
    tool_choice?: unknown;
    [key: string]: unknown;
  };
}

export interface ScriptedChatServer {
  /** The base URL to configure (`http://127.0.0.1:<port>/v1`). */
  readonly baseURL: string;
  /** Every request received, in order. */
  readonly requests: RecordedChatRequest[];
  /** Appends answers, used one per request in order. */
  script(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
}

const DEFAULT_USAGE = { prompt_tokens: 100, completion_tokens: 50 };

export async function startScriptedChatServer(...answers: ScriptedAnswer[]): Promise<ScriptedChatServer> {
  const queue = [...answers];
  const requests: RecordedChatRequest[] = [];
  let counter = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? '';
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return send(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
    }
    let body: RecordedChatRequest['body'];
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RecordedChatRequest['body'];
    } catch {
      return send(res, 400, { error: { message: 'body is not JSON', type: 'invalid_request_error' } });
    }
    requests.push({ path, headers: req.headers, body });

    const answer = queue.shift();
    if (!answer) return send(res, 500, { error: { message: 'no scripted answer left', type: 'server_error' } });
    if (answer.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, answer.delayMs);
        res.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      if (res.destroyed || res.writableEnded) return;
    }
    if (answer.status && answer.status >= 400) {
      return send(res, answer.status, { error: { message: `scripted error ${answer.status}`, type: 'server_error' } });
    }

    const id = ++counter;
    const usage = answer.usage ?? DEFAULT_USAGE;
    const toolName = answer.toolCall?.name ?? body.tools?.[0]?.function.name ?? 'answer';
    const message = answer.toolCall
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: `call_${id}`,
              type: 'function',
              function: {
                name: toolName,
                arguments:
                  typeof answer.toolCall.arguments === 'string'
                    ? answer.toolCall.arguments
                    : JSON.stringify(answer.toolCall.arguments),
              },
            },
          ],
        }
      : { role: 'assistant', content: answer.content ?? '' };
    send(res, 200, {
      id: `chatcmpl-${id}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'scripted',
      choices: [{ index: 0, message, finish_reason: answer.toolCall ? 'tool_calls' : 'stop', logprobs: null }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(error), type: 'server_error' } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (...more) => queue.push(...more),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
