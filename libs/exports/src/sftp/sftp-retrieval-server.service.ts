import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { lstat, open, readdir, realpath, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import ssh2, { type Attributes, type Connection, type FileEntry, type SFTPWrapper } from 'ssh2';
import { DspConfig } from '@opendsp/config';
import { retrievalFolderOf } from './retrieval-folder.helpers.js';
import { WRITE_FLAGS, isVisible, longName, treePath, treeSegments, type RetrievalScope } from './retrieval-tree.rules.js';
import { SftpRetrievalKeysService, type RetrievalAccess, type SignInRefusal } from './sftp-retrieval-keys.service.js';

const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;

/** Refused sign-in attempts one connection may make before it is closed. */
const MAX_REFUSALS = 6;
/** A connection that has not signed in by then is closed. */
const SIGN_IN_WITHIN_MS = 60_000;
/** Connections served at once; more are turned away until one closes. */
const MAX_CONNECTIONS = 100;

type Handle =
  | { kind: 'dir'; path: string; local: string; scope: RetrievalScope; entries: FileEntry[] | null }
  | { kind: 'file'; path: string; file: FileHandle };

class Refusal extends Error {
  constructor(readonly status: number) {
    super(`sftp status ${status}`);
  }
}

function attributes(stats: { mode: number; size: number; atimeMs: number; mtimeMs: number; isDirectory(): boolean }): Attributes {
  // Everything is read-only to the partner, whatever the folder's mode on disk.
  const mode = stats.isDirectory() ? constants.S_IFDIR | 0o555 : constants.S_IFREG | 0o444;
  return { mode, uid: 0, gid: 0, size: stats.size, atime: Math.floor(stats.atimeMs / 1000), mtime: Math.floor(stats.mtimeMs / 1000) };
}

/**
 * OpenDSP's own SFTP server, for partners who fetch their files (retrieval destinations, docs/exports.md).
 * Runs in worker processes when SFTP_SERVER_PORT is set. Partners sign in with a registered public key only
 * (passwords and keyboard-interactive are refused); each key sees its destination's folder as `/`, read-only,
 * narrowed to the destination's current groups, with temporary files hidden. Every sign-in (accepted or
 * refused), listing and file read is in the audit log under the key's ID.
 */
@Injectable()
export class SftpRetrievalServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SftpRetrievalServer.name);
  private server: InstanceType<typeof Server> | null = null;
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly config: DspConfig,
    private readonly keys: SftpRetrievalKeysService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { serverPort, serverHost } = this.config.exports.retrieval;
    if (serverPort === null || this.config.processRole === 'web') return;
    const server = new Server({ hostKeys: [this.hostKey()], ident: 'OpenDSP' }, (client, info) => this.serve(client, info.ip));
    try {
      await new Promise<void>((done, fail) => {
        server.once('error', fail);
        server.listen(serverPort, serverHost, () => done());
      });
    } catch (error) {
      // Several workers on one host share SFTP_SERVER_PORT: the first serves it, the others go on with their other work.
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      this.logger.error({ port: serverPort, host: serverHost }, 'SFTP retrieval server not started: the port is in use');
      return;
    }
    server.maxConnections = MAX_CONNECTIONS;
    server.on('error', (error: Error) => this.logger.error({ err: error }, 'SFTP server error'));
    this.server = server;
    this.logger.log({ port: (server.address() as AddressInfo).port, host: serverHost }, 'SFTP retrieval server listening');
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    for (const client of this.connections) client.end();
    await new Promise<void>((done) => server.close(() => done()));
  }

  /** The port it listens on; null when it is not running. */
  get port(): number | null {
    return this.server ? (this.server.address() as AddressInfo).port : null;
  }

  /**
   * SFTP_SERVER_HOST_KEY_FILE, or (outside production, which refuses to start without one) an ed25519 key made
   * on first start and kept in EXPORT_RETRIEVAL_DIR, beside the destinations' folders and never inside one.
   */
  private hostKey(): string {
    const { hostKeyFile, dir } = this.config.exports.retrieval;
    if (hostKeyFile) return readFileSync(hostKeyFile, 'utf8');
    const path = join(resolve(dir), 'ssh_host_ed25519_key');
    if (existsSync(path)) return readFileSync(path, 'utf8');
    mkdirSync(resolve(dir), { recursive: true });
    // ssh2's generator writes about one key in 250 that its own parser refuses; draw again.
    let key: string;
    do key = utils.generateKeyPairSync('ed25519').private;
    while (utils.parseKey(key) instanceof Error);
    writeFileSync(path, key, { mode: 0o600 });
    chmodSync(path, 0o600);
    this.logger.warn({ path }, 'SFTP server: generated a host key (set SFTP_SERVER_HOST_KEY_FILE in production)');
    return key;
  }

  private serve(client: Connection, ip: string): void {
    this.connections.add(client);
    (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    const signInDeadline = setTimeout(() => client.end(), SIGN_IN_WITHIN_MS);
    signInDeadline.unref();
    client.on('close', () => {
      clearTimeout(signInDeadline);
      this.connections.delete(client);
    });
    client.on('error', () => undefined);
    let access: RetrievalAccess | null = null;
    let refusals = 0;
    // The refusal is in the audit log before the client hears of it.
    const refuse = async (
      ctx: ssh2.AuthContext,
      reason: SignInRefusal,
      keyId: string | null,
      fingerprint: string | null,
    ): Promise<void> => {
      refusals += 1;
      await this.keys
        .recordUse('sftp_retrieval.sign_in_refused', keyId, ip, { username: ctx.username, method: ctx.method, reason, fingerprint })
        .catch((error: unknown) => this.logger.error({ err: error }, 'could not audit an SFTP sign-in'));
      ctx.reject(['publickey']);
      if (refusals >= MAX_REFUSALS) client.end();
    };

    client.on('authentication', (ctx) => {
      if (ctx.method === 'none') return ctx.reject(['publickey']);
      if (ctx.method !== 'publickey') return void refuse(ctx, 'method_not_allowed', null, null);
      void (async () => {
        const found = await this.keys.signInKey(ctx.username, ctx.key.data);
        if ('refused' in found) return refuse(ctx, found.refused, found.keyId, found.fingerprint);
        // Without a signature the client only asks whether the key would do; it signs next.
        if (!ctx.signature) return ctx.accept();
        if (found.access.publicKey.verify(ctx.blob!, ctx.signature, ctx.hashAlgo) !== true)
          return refuse(ctx, 'bad_signature', found.access.keyId, null);
        access = found.access;
        await this.keys.recordUse('sftp_retrieval.sign_in_accepted', access.keyId, ip, {
          username: ctx.username,
          destinationId: access.destinationId,
        });
        await this.keys.touch(access.keyId);
        ctx.accept();
      })().catch((error: unknown) => {
        this.logger.error({ err: error }, 'SFTP sign-in failed');
        ctx.reject(['publickey']);
      });
    });

    client.on('ready', () => {
      clearTimeout(signInDeadline);
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        // Only the SFTP subsystem: no shell, no commands, no forwarding.
        session.on('sftp', (acceptSftp) => this.serveSftp(acceptSftp(), access!, ip));
        session.on('exec', (_accept, reject) => reject());
        session.on('shell', (_accept, reject) => reject());
        session.on('pty', (_accept, reject) => reject?.());
      });
      client.on('tcpip', (_accept, reject) => reject());
      client.on('request', (_accept, reject) => reject?.());
    });
  }

  private serveSftp(sftp: SFTPWrapper, access: RetrievalAccess, ip: string): void {
    const root = retrievalFolderOf(this.config.exports.retrieval.dir, access.destinationId);
    const handles = new Map<string, Handle>();
    let nextHandle = 0;
    // Awaited before the answer: a listing or a read the audit log could not record is not served.
    const audit = (action: 'sftp_retrieval.files_listed' | 'sftp_retrieval.file_read', path: string): Promise<void> =>
      this.keys.recordUse(action, access.keyId, ip, { destinationId: access.destinationId, path });

    /**
     * The local path of a client's path, if the key may see it: inside the destination's folder, in the scope
     * as it stands now (a revoked key reads nothing more), of the push layout, and reached through no symbolic link.
     */
    const locate = async (path: string): Promise<{ virtual: string; local: string; scope: RetrievalScope }> => {
      const segments = treeSegments(path);
      if (!segments) throw new Refusal(STATUS_CODE.PERMISSION_DENIED);
      const scope = await this.keys.currentScope(access.keyId);
      if (!scope) throw new Refusal(STATUS_CODE.PERMISSION_DENIED);
      if (!isVisible(segments, scope)) throw new Refusal(STATUS_CODE.NO_SUCH_FILE);
      const local = join(root, ...segments);
      let real: string;
      try {
        real = await realpath(local);
      } catch {
        // The folder itself exists once the first delivery is written; until then `/` is empty.
        if (segments.length === 0) return { virtual: '/', local: '', scope };
        throw new Refusal(STATUS_CODE.NO_SUCH_FILE);
      }
      const realRoot = await realpath(root);
      if (real !== join(realRoot, ...segments)) throw new Refusal(STATUS_CODE.NO_SUCH_FILE);
      return { virtual: treePath(segments), local, scope };
    };

    const handleOf = (buffer: Buffer): Handle => {
      const handle = handles.get(buffer.toString('hex'));
      if (!handle) throw new Refusal(STATUS_CODE.FAILURE);
      return handle;
    };
    const newHandle = (handle: Handle): Buffer => {
      const id = Buffer.alloc(4);
      id.writeUInt32BE(nextHandle++);
      handles.set(id.toString('hex'), handle);
      return id;
    };
    const run = (reqid: number, work: () => Promise<void>): void => {
      work().catch((error: unknown) => {
        if (error instanceof Refusal) return sftp.status(reqid, error.status);
        this.logger.warn({ err: error }, 'SFTP request failed');
        sftp.status(reqid, STATUS_CODE.FAILURE);
      });
    };
    const denied = (reqid: number): void => {
      sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED);
    };

    sftp.on('REALPATH', (reqid, path) =>
      run(reqid, async () => {
        const segments = treeSegments(path);
        if (!segments) throw new Refusal(STATUS_CODE.PERMISSION_DENIED);
        const virtual = treePath(segments);
        sftp.name(reqid, [{ filename: virtual, longname: virtual, attrs: {} as Attributes }]);
      }),
    );
    const stat = (reqid: number, path: string): void =>
      run(reqid, async () => {
        const { local } = await locate(path);
        if (!local) return sftp.attrs(reqid, attributes({ mode: 0, size: 0, atimeMs: 0, mtimeMs: 0, isDirectory: () => true }));
        sftp.attrs(reqid, attributes(await lstat(local)));
      });
    sftp.on('STAT', stat);
    sftp.on('LSTAT', stat);
    sftp.on('OPENDIR', (reqid, path) =>
      run(reqid, async () => {
        const { virtual, local, scope } = await locate(path);
        if (local && !(await lstat(local)).isDirectory()) throw new Refusal(STATUS_CODE.NO_SUCH_FILE);
        await audit('sftp_retrieval.files_listed', virtual);
        sftp.handle(reqid, newHandle({ kind: 'dir', path: virtual, local, scope, entries: null }));
      }),
    );
    sftp.on('READDIR', (reqid, buffer) =>
      run(reqid, async () => {
        const handle = handleOf(buffer);
        if (handle.kind !== 'dir') throw new Refusal(STATUS_CODE.FAILURE);
        if (handle.entries) return sftp.status(reqid, STATUS_CODE.EOF);
        // One READDIR answers the whole listing (in the scope OPENDIR just checked), then EOF.
        const { local, scope } = handle;
        const segments = treeSegments(handle.path)!;
        const entries: FileEntry[] = [];
        for (const entry of local ? await readdir(local, { withFileTypes: true }) : []) {
          if (!entry.isFile() && !entry.isDirectory()) continue;
          if (!isVisible([...segments, entry.name], scope)) continue;
          const stats = await lstat(join(local, entry.name)).catch(() => null);
          if (!stats) continue;
          entries.push({
            filename: entry.name,
            longname: longName(entry.name, { isDirectory: stats.isDirectory(), size: stats.size, mtime: stats.mtime }),
            attrs: attributes(stats),
          });
        }
        handle.entries = entries;
        if (entries.length === 0) return sftp.status(reqid, STATUS_CODE.EOF);
        sftp.name(reqid, entries);
      }),
    );
    sftp.on('OPEN', (reqid, path, flags) =>
      run(reqid, async () => {
        if (flags & WRITE_FLAGS) throw new Refusal(STATUS_CODE.PERMISSION_DENIED);
        const { virtual, local } = await locate(path);
        if (!local) throw new Refusal(STATUS_CODE.FAILURE);
        const file = await open(local, constants.O_RDONLY | constants.O_NOFOLLOW);
        if (!(await file.stat()).isFile()) {
          await file.close();
          throw new Refusal(STATUS_CODE.FAILURE);
        }
        try {
          await audit('sftp_retrieval.file_read', virtual);
        } catch (error) {
          await file.close();
          throw error;
        }
        sftp.handle(reqid, newHandle({ kind: 'file', path: virtual, file }));
      }),
    );
    sftp.on('READ', (reqid, buffer, offset, length) =>
      run(reqid, async () => {
        const handle = handleOf(buffer);
        if (handle.kind !== 'file') throw new Refusal(STATUS_CODE.FAILURE);
        const data = Buffer.alloc(Math.min(length, 256 * 1024));
        const { bytesRead } = await handle.file.read(data, 0, data.length, offset);
        if (bytesRead === 0) return sftp.status(reqid, STATUS_CODE.EOF);
        sftp.data(reqid, data.subarray(0, bytesRead));
      }),
    );
    sftp.on('FSTAT', (reqid, buffer) =>
      run(reqid, async () => {
        const handle = handleOf(buffer);
        if (handle.kind !== 'file') throw new Refusal(STATUS_CODE.FAILURE);
        sftp.attrs(reqid, attributes(await handle.file.stat()));
      }),
    );
    sftp.on('CLOSE', (reqid, buffer) =>
      run(reqid, async () => {
        const handle = handleOf(buffer);
        handles.delete(buffer.toString('hex'));
        if (handle.kind === 'file') await handle.file.close();
        sftp.status(reqid, STATUS_CODE.OK);
      }),
    );
    // Read-only: nothing is written, made, renamed, removed or linked.
    for (const event of ['WRITE', 'SETSTAT', 'FSETSTAT', 'MKDIR', 'RMDIR', 'REMOVE', 'RENAME', 'SYMLINK'] as const) {
      sftp.on(event, (reqid: number) => denied(reqid));
    }
    sftp.on('READLINK', (reqid) => sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE));
    sftp.on('EXTENDED', (reqid) => sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED));
    // The client is done (OpenSSH's sftp sends EOF and waits for the channel to close before it exits).
    sftp.on('end', () => sftp.end());
    sftp.on('close', () => {
      for (const handle of handles.values()) if (handle.kind === 'file') void handle.file.close().catch(() => undefined);
      handles.clear();
    });
  }
}
