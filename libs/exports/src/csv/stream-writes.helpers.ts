import type { Writable } from 'node:stream';

/** The reader went away (closed the connection, or the stream was destroyed) before the export was complete. */
export class ExportAbortedError extends Error {
  override name = 'ExportAbortedError';
  constructor() {
    super('the output stream closed before the export was complete');
  }
}

/**
 * Writes a chunk and, when the stream's buffer is full, waits until it drains: what keeps an export's memory
 * flat however slowly the reader reads. Rejects when the stream closes or fails first.
 */
export async function writeChunk(out: Writable, chunk: string | Buffer): Promise<void> {
  if (out.destroyed || out.writableEnded) throw new ExportAbortedError();
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const settle = (error?: Error): void => {
      out.off('drain', onDrain);
      out.off('close', onClose);
      out.off('error', onError);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => settle();
    const onClose = (): void => settle(new ExportAbortedError());
    const onError = (error: Error): void => settle(error);
    out.on('drain', onDrain);
    out.on('close', onClose);
    out.on('error', onError);
  });
}
