import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PAGINATION_KEYS, type MeasurementType } from '@opendsp/omron-api';

// The upstream of `sync-ingest`, in a process of its own (forked by the bench, talking to it over IPC): it replays
// pre-rendered measurement answers byte for byte, and passes anything else (the token exchange) through to the
// sandbox. It stands for OMRON, whose work is not the platform's: in its own process it does not share the
// platform's event loop.

/** What the bench sends. */
export type ReplayRequest =
  | { sandboxUrl: string }
  /** Pre-rendered answers, by `type:paginationKey` ('' for the first page). */
  | { pages: [key: string, body: string][] }
  | { count: true };

/** What this process answers: its port when it listens, then one reply per request. */
export type ReplayReply = { port: number } | { loaded: number } | { sandboxUrl: string } | { replayed: number };

const pages = new Map<string, Buffer>();
let sandboxUrl = '';
let replayed = 0;

const send = (reply: ReplayReply): void => {
  process.send!(reply);
};

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const server = createServer((request, response) => {
  void (async () => {
    const body = await readBody(request);
    if (request.method === 'POST' && request.url?.endsWith('/api/measurement')) {
      const form = new URLSearchParams(body.toString());
      const type = form.get('type') as MeasurementType;
      const page = pages.get(`${type}:${form.get(PAGINATION_KEYS[type]) ?? ''}`);
      if (!page) {
        response.writeHead(404, { 'content-type': 'application/json' }).end('{"status":404,"reason":"no such page","errorCode":"BENCH"}');
        return;
      }
      replayed++;
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': page.length }).end(page);
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => name !== 'host' && name !== 'content-length'),
    ) as Record<string, string>;
    const answer = await fetch(`${sandboxUrl}${request.url}`, {
      method: request.method,
      headers,
      body: body.length > 0 ? body : undefined,
      redirect: 'manual',
    });
    response.writeHead(answer.status, Object.fromEntries(answer.headers)).end(Buffer.from(await answer.arrayBuffer()));
  })().catch((error: Error) => response.writeHead(502).end(error.message));
});

process.on('message', (message: ReplayRequest) => {
  if ('sandboxUrl' in message) {
    sandboxUrl = message.sandboxUrl;
    send({ sandboxUrl });
  } else if ('pages' in message) {
    // Kept as bytes, so an answer is written without encoding it again.
    for (const [key, body] of message.pages) pages.set(key, Buffer.from(body));
    send({ loaded: pages.size });
  } else send({ replayed });
});
// The bench ended (or died): so does its upstream.
process.on('disconnect', () => process.exit(0));
server.listen(0, '127.0.0.1', () => send({ port: (server.address() as AddressInfo).port }));
