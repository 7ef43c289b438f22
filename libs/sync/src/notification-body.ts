import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The Notification URI's path: the one registered with OMRON, exempt from the admin IP allowlist (libs/web-security). */
export const NOTIFICATION_PATH = '/omron/notifications';

/**
 * Reads notification bodies itself, before the app's general body parsers (register it with `app.use` before
 * `init()`): at most `maxBytes` (a larger body is refused with 413 as soon as it is seen to be larger, without
 * reading the rest), JSON or form-encoded, anything else 415. The parsed fields land in `req.body`.
 */
export function notificationBodyReader(maxBytes: number): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'POST') return next();
    const refuse = (status: number, message: string): void => {
      if (res.headersSent) return;
      res.status(status).set('Connection', 'close').json({ statusCode: status, message });
    };
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const json = contentType === 'application/json' || contentType.endsWith('+json');
    if (!json && contentType !== 'application/x-www-form-urlencoded') {
      return refuse(415, 'Send the notification as application/json or application/x-www-form-urlencoded');
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) return refuse(413, `A notification body is at most ${maxBytes} bytes`);

    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > maxBytes) {
        done = true;
        refuse(413, `A notification body is at most ${maxBytes} bytes`);
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => {
      done = true;
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        req.body = json ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text));
      } catch {
        return refuse(400, 'The body is not valid JSON');
      }
      next();
    });
  };
}
