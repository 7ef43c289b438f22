import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Connections the socket server accepts; the ORM pools of all in-process apps must stay at or below it. */
export const EMBEDDED_MAX_CONNECTIONS = 40;

/** Shared buffers of each embedded database. */
export const EMBEDDED_SHARED_BUFFERS = '8MB';

export interface EmbeddedPostgres {
  /** A postgres:// URL any ordinary driver can use. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts PGlite (PostgreSQL compiled to WebAssembly) and serves it over the PostgreSQL wire protocol,
 * so MikroORM's ordinary `pg` driver talks to it. Needs no system install and no separate OS user.
 *
 * @param dataDir folder for the data files, or `undefined` for an in-memory database (tests).
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; host?: string; port: number }): Promise<EmbeddedPostgres> {
  const host = options.host ?? '127.0.0.1';
  let dataDir: string | undefined;
  if (options.dataDir) {
    dataDir = resolve(options.dataDir);
    // PGlite creates the data folder itself but not its parent.
    await mkdir(dirname(dataDir), { recursive: true });
  }
  // PostgreSQL's default 128 MB of shared buffers is the largest part of an idle instance's memory (WebAssembly
  // pages, once touched, stay resident). Written to postgresql.conf on every start, so existing data folders
  // get it too.
  const db = await PGlite.create(dataDir, { postgresqlconf: [`shared_buffers=${EMBEDDED_SHARED_BUFFERS}`] });
  const server = new PGLiteSocketServer({ db, host, port: options.port, maxConnections: EMBEDDED_MAX_CONNECTIONS });
  serialiseProtocolExchanges(server);
  try {
    await server.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  return {
    url: `postgres://postgres@${host}:${options.port}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/** The parts of pglite-socket's query queue that {@link serialiseProtocolExchanges} replaces (not public API). */
interface QueryQueue {
  queue: {
    handlerId: number;
    message: Uint8Array;
    onData(data: Uint8Array): void;
    resolve(bytes: number): void;
    reject(error: unknown): void;
  }[];
  processing: boolean;
  lastHandlerId: number | null;
  db: PGlite;
  processQueue(): Promise<void>;
  clearTransactionIfNeeded(handlerId: number): Promise<void>;
}

/** Extended-protocol messages after which the same client's Sync must follow: Parse, Bind, Describe, Execute, Close, Flush. */
const EXCHANGE_CONTINUES = new Set([0x50, 0x42, 0x44, 0x45, 0x43, 0x48]);

const PARSE = 0x50;
const CLOSE = 0x43;
const QUERY = 0x51;
/** The backend's ParseComplete message ('1', length 4). */
const PARSE_COMPLETE = new Uint8Array([0x31, 0, 0, 0, 4]);

/** A Parse message's statement name and the rest of it (text and parameter types); null for the unnamed statement. */
function namedParse(message: Uint8Array): { name: string; statement: string } | null {
  if (message[0] !== PARSE) return null;
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const end = bytes.indexOf(0, 5);
  if (end <= 5) return null;
  return { name: bytes.toString('utf8', 5, end), statement: bytes.toString('latin1', end + 1) };
}

/** The statement a Close message closes ('S'); null for a portal's. */
function closedStatement(message: Uint8Array): string | null {
  if (message[0] !== CLOSE || message[5] !== 0x53) return null;
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  return bytes.toString('utf8', 6, bytes.indexOf(0, 6));
}

/**
 * PGlite runs one session, which the socket server shares among its connections message by message. It keeps
 * one connection's messages together while a transaction is open, but not within one extended-protocol
 * exchange (Parse, Bind, …, Sync) outside a transaction: when several clients wait (say, behind another's
 * transaction), one client's Bind can land on another's unnamed Parse ("bind message supplies 2 parameters,
 * but prepared statement requires 4"). With the job queue's own pool polling beside the ORM's, that happened
 * constantly. This keeps a connection's exchange together until its Sync as well.
 *
 * A named prepared statement belongs to the session too, so all connections share it, but each client prepares
 * it once for itself: the second connection's Parse of the writer's statement (`executePrepared` in
 * libs/measurements) failed with "prepared statement … already exists", and every sync pull on the embedded
 * database stopped after its first page. A Parse of a name the session already holds with the same text and
 * parameter types is answered here with ParseComplete; a Close, DEALLOCATE or DISCARD forgets it.
 */
function serialiseProtocolExchanges(server: PGLiteSocketServer): void {
  const queue = (server as unknown as { queryQueue: QueryQueue }).queryQueue;
  let midExchange = false;
  // Named statements prepared in the session, by name: their text and parameter types.
  const prepared = new Map<string, string>();
  const forgetClosed = (message: Uint8Array) => {
    const closed = closedStatement(message);
    if (closed !== null) prepared.delete(closed);
    else if (message[0] === QUERY && /^\s*(deallocate|discard)\b/i.test(Buffer.from(message).toString('utf8', 5))) prepared.clear();
  };
  queue.processQueue = async function (this: QueryQueue): Promise<void> {
    if (this.processing || this.queue.length === 0) return;
    this.processing = true;
    try {
      while (this.queue.length > 0) {
        const pinned = this.lastHandlerId !== null && (midExchange || this.db.isInTransaction());
        const index = pinned ? this.queue.findIndex((item) => item.handlerId === this.lastHandlerId) : 0;
        // The connection that holds the session has not sent its next message yet: wait for it.
        if (index === -1) break;
        const [item] = this.queue.splice(index, 1);
        this.lastHandlerId = item.handlerId;
        midExchange = EXCHANGE_CONTINUES.has(item.message[0]);
        const parse = namedParse(item.message);
        if (parse && prepared.get(parse.name) === parse.statement) {
          item.onData(PARSE_COMPLETE);
          item.resolve(PARSE_COMPLETE.length);
          continue;
        }
        forgetClosed(item.message);
        let bytes = 0;
        let answer: number | undefined;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(item.message, {
              onRawData: (data: Uint8Array) => {
                answer ??= data[0];
                bytes += data.length;
                item.onData(data);
              },
            }),
          );
        } catch (error) {
          midExchange = false;
          item.reject(error);
          continue;
        }
        if (parse && answer === PARSE_COMPLETE[0]) prepared.set(parse.name, parse.statement);
        item.resolve(bytes);
      }
    } finally {
      this.processing = false;
    }
  };
  const clear = queue.clearTransactionIfNeeded.bind(queue);
  // A client that disconnects in the middle of an exchange must not keep the session.
  queue.clearTransactionIfNeeded = async (handlerId: number): Promise<void> => {
    if (queue.lastHandlerId === handlerId) midExchange = false;
    await clear(handlerId);
    await queue.processQueue();
  };
}
