import { createHash, type Hash } from 'node:crypto';
import { posix } from 'node:path';
import ssh2, { type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { vetHost } from './host-guard.helpers.js';
import { hostKeyFingerprint } from './host-key.rules.js';

const { Client } = ssh2;

/** Where to connect and how to sign in. Secrets in plaintext: only ever in memory. */
export interface SftpTarget {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  passphrase?: string;
  /** The pinned fingerprint; a server presenting another key (or any key, when null) is refused. */
  hostKeyFingerprint: string | null;
  timeoutMs: number;
  /** EXPORT_SFTP_ALLOW_PRIVATE_HOSTS: without it, hosts in loopback, private and metadata ranges are refused. */
  allowPrivateHosts: boolean;
}

export const SFTP_PROBLEMS = [
  'host_not_allowed',
  'refused',
  'unreachable',
  'timeout',
  'host_key_not_pinned',
  'host_key_mismatch',
  'auth_failed',
  'base_dir_missing',
  'permission_denied',
  'remote_error',
] as const;
/** What went wrong, in words an admin can act on (the portal shows `sftp.problem.<code>`). */
export type SftpProblem = (typeof SFTP_PROBLEMS)[number];

/** A connection or SFTP failure. The message has no secrets: it may be stored and shown. */
export class SftpError extends Error {
  override name = 'SftpError';
  constructor(
    readonly problem: SftpProblem,
    message: string,
    /** The fingerprint the server presented, when the handshake got that far. */
    readonly presentedFingerprint: string | null = null,
    /** The SFTP status code of a refused request. */
    readonly statusCode: number | null = null,
  ) {
    super(message);
  }
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02). */
const NO_SUCH_FILE = 2;
const PERMISSION_DENIED = 3;

function remoteError(error: unknown, what: string): SftpError {
  if (error instanceof SftpError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = `${what}: ${error instanceof Error ? error.message : String(error)}`;
  const status = typeof code === 'number' ? code : null;
  return new SftpError(status === PERMISSION_DENIED ? 'permission_denied' : 'remote_error', message, null, status);
}

/** Rejects with a timeout when `promise` has not settled in time (a server that stopped answering). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SftpError('timeout', `${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * One SFTP connection with the few operations deliveries need. The host key is checked against the pinned
 * SHA-256 fingerprint during the handshake, before any credential is sent. TCP no-delay is on: SFTP is
 * request/response, and Nagle's algorithm made a 5 MB upload take 21 s instead of 0.16 s.
 */
export class SftpSession {
  private readonly madeDirs = new Set<string>();

  private constructor(
    private readonly client: InstanceType<typeof Client>,
    private readonly sftp: SFTPWrapper,
    private readonly timeoutMs: number,
    /** The fingerprint the server presented (equal to the pinned one). */
    readonly fingerprint: string,
  ) {}

  static async open(target: SftpTarget): Promise<SftpSession> {
    const vetted = await vetHost(target.host, target.allowPrivateHosts);
    if (!vetted.allowed) {
      throw new SftpError(
        'host_not_allowed',
        `${target.host}:${target.port} is in a loopback, private, link-local or metadata address range (EXPORT_SFTP_ALLOW_PRIVATE_HOSTS)`,
      );
    }
    const client = new Client();
    let presented: string | null = null;
    const config: ConnectConfig = {
      host: vetted.address,
      port: target.port,
      username: target.username,
      password: target.password,
      privateKey: target.privateKey,
      passphrase: target.passphrase,
      tryKeyboard: false,
      readyTimeout: target.timeoutMs,
      keepaliveInterval: Math.max(1000, Math.floor(target.timeoutMs / 3)),
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        presented = hostKeyFingerprint(key);
        return target.hostKeyFingerprint !== null && presented === target.hostKeyFingerprint;
      },
    };
    try {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('error', reject);
        client.connect(config);
        client.setNoDelay(true);
      });
    } catch (error) {
      // Ending a connection that never finished its handshake emits one more error; it says nothing new.
      client.on('error', () => undefined);
      client.end();
      throw SftpSession.connectError(error, target, presented);
    }
    // Errors after the handshake (a dropped connection) fail the operation in flight; keep them from being unhandled.
    client.on('error', () => undefined);
    try {
      const sftp = await within(
        new Promise<SFTPWrapper>((resolve, reject) => client.sftp((error, wrapper) => (error ? reject(error) : resolve(wrapper)))),
        target.timeoutMs,
        'opening the SFTP subsystem',
      );
      return new SftpSession(client, sftp, target.timeoutMs, presented!);
    } catch (error) {
      client.end();
      throw remoteError(error, 'opening the SFTP subsystem');
    }
  }

  private static connectError(error: unknown, target: SftpTarget, presented: string | null): SftpError {
    const { code, level, message } = (error ?? {}) as { code?: string; level?: string; message?: string };
    const where = `${target.host}:${target.port}`;
    if (presented && target.hostKeyFingerprint === null)
      return new SftpError('host_key_not_pinned', `${where} presented host key ${presented}, and no host key is pinned`, presented);
    if (presented && presented !== target.hostKeyFingerprint)
      return new SftpError(
        'host_key_mismatch',
        `${where} presented host key ${presented}, not the pinned ${target.hostKeyFingerprint}; refused to connect`,
        presented,
      );
    // A closed port (refused), a filtered one (no answer) and an unreachable host read the same, so "test
    // connection" cannot be used to map which ports of a host are open.
    if (
      !presented &&
      (['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET'].includes(code ?? '') ||
        level === 'client-timeout' ||
        level === 'client-socket')
    )
      return new SftpError('unreachable', `${where} could not be reached, or did not answer as an SSH server in time`, presented);
    if (level === 'client-authentication') return new SftpError('auth_failed', `${where} refused the user name and credentials`, presented);
    return new SftpError('remote_error', `${where}: ${message ?? String(error)}`, presented);
  }

  private call<T>(what: string, run: (done: (error: Error | undefined | null, value?: T) => void) => void): Promise<T> {
    return within(
      new Promise<T>((resolve, reject) => run((error, value) => (error ? reject(remoteError(error, what)) : resolve(value as T)))),
      this.timeoutMs,
      what,
    );
  }

  /** True when the path exists (file or folder). */
  async exists(path: string): Promise<boolean> {
    try {
      await this.call(`stat ${path}`, (done) => this.sftp.stat(path, done));
      return true;
    } catch (error) {
      if (error instanceof SftpError && error.statusCode === NO_SUCH_FILE) return false;
      throw error;
    }
  }

  /** True when the path is a folder. */
  async isDirectory(path: string): Promise<boolean> {
    try {
      const stats = await this.call<{ isDirectory(): boolean }>(`stat ${path}`, (done) => this.sftp.stat(path, done));
      return stats.isDirectory();
    } catch {
      return false;
    }
  }

  /** Creates a folder and its missing parents (`mkdir -p`). */
  async makeDirectories(path: string): Promise<void> {
    const parts = posix.normalize(path).split('/');
    let current = path.startsWith('/') ? '/' : '';
    for (const part of parts) {
      if (!part || part === '.') continue;
      current = current ? posix.join(current, part) : part;
      if (this.madeDirs.has(current)) continue;
      if (!(await this.isDirectory(current))) {
        try {
          await this.call(`mkdir ${current}`, (done) => this.sftp.mkdir(current, done));
        } catch (error) {
          // Made by someone else in the meantime is fine.
          if (!(await this.isDirectory(current))) throw error;
        }
      }
      this.madeDirs.add(current);
    }
  }

  /** Opens (creating or truncating) a file for writing. */
  async create(path: string): Promise<RemoteFile> {
    const handle = await this.call<Buffer>(`open ${path}`, (done) => this.sftp.open(path, 'w', done));
    return new RemoteFile(this.sftp, handle, path, this.timeoutMs);
  }

  /** Renames a file, replacing the target if it exists (POSIX rename where the server offers it). */
  async rename(from: string, to: string): Promise<void> {
    try {
      await this.call(`rename ${from}`, (done) => this.sftp.ext_openssh_rename(from, to, done));
      return;
    } catch (error) {
      // Servers without the posix-rename extension throw at once; plain SFTP rename refuses an existing target.
      if (!(error instanceof Error) || !/not support/i.test(error.message)) throw error;
    }
    if (await this.exists(to)) await this.remove(to);
    await this.call(`rename ${from}`, (done) => this.sftp.rename(from, to, done));
  }

  async remove(path: string): Promise<void> {
    await this.call(`remove ${path}`, (done) => this.sftp.unlink(path, done));
  }

  close(): void {
    this.client.end();
  }
}

/**
 * A file being written: chunks go out as up to 8 SFTP WRITE requests in flight at once (one at a time would
 * wait a round trip per 32 KB), while the SHA-256 and the size are computed on the way.
 */
export class RemoteFile {
  private readonly hash: Hash = createHash('sha256');
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | null = null;
  private position = 0;
  private static readonly CHUNK = 30 * 1024;
  private static readonly MAX_IN_FLIGHT = 8;

  constructor(
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    readonly path: string,
    private readonly timeoutMs: number,
  ) {}

  get bytes(): number {
    return this.position;
  }

  async write(data: Buffer | string): Promise<void> {
    const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.hash.update(buffer);
    for (let offset = 0; offset < buffer.length; offset += RemoteFile.CHUNK) {
      while (this.inFlight.size >= RemoteFile.MAX_IN_FLIGHT) await Promise.race(this.inFlight);
      if (this.failure) throw this.failure;
      const piece = buffer.subarray(offset, offset + RemoteFile.CHUNK);
      const position = this.position;
      this.position += piece.length;
      const request: Promise<void> = within(
        new Promise<void>((resolve, reject) =>
          this.sftp.write(this.handle, piece, 0, piece.length, position, (error) => (error ? reject(error) : resolve())),
        ),
        this.timeoutMs,
        `write ${this.path}`,
      )
        .catch((error: unknown) => {
          this.failure ??= remoteError(error, `write ${this.path}`);
        })
        .finally(() => this.inFlight.delete(request));
      this.inFlight.add(request);
    }
    if (this.failure) throw this.failure;
  }

  /** Waits for every write, closes the file, and returns its size and SHA-256 (hex). */
  async close(): Promise<{ bytes: number; sha256: string }> {
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    await within(
      new Promise<void>((resolve, reject) =>
        this.sftp.close(this.handle, (error) => (error ? reject(remoteError(error, `close ${this.path}`)) : resolve())),
      ),
      this.timeoutMs,
      `close ${this.path}`,
    );
    return { bytes: this.position, sha256: this.hash.digest('hex') };
  }
}
