import { createHash, type Hash } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * What a delivery writes through: a partner's SFTP server (SftpSession) or, for retrieval, a local folder
 * (RetrievalFolder). Paths are relative to the destination's base folder and use `/`.
 */
export interface DeliveryTarget {
  makeDirectories(path: string): Promise<void>;
  create(path: string): Promise<DeliveryFile>;
  /** Replaces the target if it exists. */
  rename(from: string, to: string): Promise<void>;
  close(): void;
}

export interface DeliveryFile {
  write(data: Buffer | string): Promise<void>;
  /** Everything written is stored; returns the size and SHA-256 (hex). */
  close(): Promise<{ bytes: number; sha256: string }>;
}

/** A retrieval destination's folder: `{EXPORT_RETRIEVAL_DIR}/{destinationId}`. */
export function retrievalFolderOf(retrievalDir: string, destinationId: string): string {
  return join(resolve(retrievalDir), destinationId);
}

/**
 * A retrieval destination's files on local disk, written the way push delivery writes them to a server: each
 * file under a temporary name, flushed to disk (fsync) and then renamed, so the SFTP server (which never shows
 * temporary names) serves a file only once it is whole; the manifest is renamed last.
 */
export class RetrievalFolder implements DeliveryTarget {
  constructor(private readonly root: string) {}

  private local(path: string): string {
    const full = resolve(this.root, isAbsolute(path) ? `.${path}` : path);
    if (full !== this.root && !full.startsWith(`${this.root}/`)) throw new Error(`${path} is outside the retrieval folder`);
    return full;
  }

  async makeDirectories(path: string): Promise<void> {
    await mkdir(this.local(path), { recursive: true });
  }

  async create(path: string): Promise<DeliveryFile> {
    return new LocalFile(await open(this.local(path), 'w', 0o640));
  }

  async rename(from: string, to: string): Promise<void> {
    await rename(this.local(from), this.local(to));
  }

  async remove(path: string): Promise<void> {
    await rm(this.local(path), { force: true, recursive: true });
  }

  close(): void {
    // Nothing is held open between files.
  }
}

class LocalFile implements DeliveryFile {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  constructor(private readonly handle: FileHandle) {}

  async write(data: Buffer | string): Promise<void> {
    const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    this.hash.update(buffer);
    this.bytes += buffer.length;
    await this.handle.write(buffer);
  }

  async close(): Promise<{ bytes: number; sha256: string }> {
    try {
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}
