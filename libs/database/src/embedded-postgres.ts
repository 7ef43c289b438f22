import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** Connections the socket server accepts; the ORM pools of all in-process apps must stay at or below it. */
export const EMBEDDED_MAX_CONNECTIONS = 40;

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
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host, port: options.port, maxConnections: EMBEDDED_MAX_CONNECTIONS });
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
