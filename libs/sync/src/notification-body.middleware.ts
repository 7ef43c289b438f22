import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** The Notification URI's path: the one registered with OMRON, exempt from the admin IP allowlist (libs/web-security). */
export const NOTIFICATION_PATH = '/omron/notifications';

const RAW_BODY = Symbol('rawNotificationBody');

/** The body as received, and whether it parsed. */
export interface RawNotificationBody {
  text: string;
  parsed: boolean;
}

/** What notificationBodyReader read for this request. */
export function rawNotificationBodyOf(req: Request): RawNotificationBody {
  return (req as Request & { [RAW_BODY]?: RawNotificationBody })[RAW_BODY] ?? { text: JSON.stringify(req.body ?? null), parsed: true };
}

/**
 * Reads notification bodies itself, before the app's general body parsers (register it with `app.use` before
 * `init()`): at most `maxBytes` (a larger body is refused with 413 as soon as it is seen to be larger, without
 * reading the rest), JSON or form-encoded, anything else 415. The parsed fields land in `req.body`, the text beside them
 * (`rawNotificationBodyOf`); a JSON body that does not parse is passed on as unparsed, for the receiver to keep.
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
      const raw: RawNotificationBody = { text, parsed: true };
      try {
        req.body = json ? JSON.parse(text) : Object.fromEntries(new URLSearchParams(text));
      } catch {
        // Kept as an unrecognised notification by the receiver rather than refused (docs/sync.md).
        req.body = undefined;
        raw.parsed = false;
      }
      (req as Request & { [RAW_BODY]?: RawNotificationBody })[RAW_BODY] = raw;
      next();
    });
  };
}
