import { Injectable, PayloadTooLargeException, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response as ExpressResponse } from 'express';
import { MAX_PROVISION_CSV_BYTES } from '../provisioning/provisioning-csv.parser.js';

/** The whole multipart request may be this large (the file plus the form's other fields and framing). */
const MAX_REQUEST_BYTES = MAX_PROVISION_CSV_BYTES + 64 * 1024;

/** What the upload middleware leaves on the request for the handler. */
export interface CsvUpload {
  /** The file's text, or why there is none to read. */
  text?: string;
  problem?: 'missing' | 'too_large' | 'not_utf8';
}

export type CsvUploadRequest = Request & { csvUpload?: CsvUpload };

/**
 * Parses the provisioning CSV upload (`multipart/form-data`, field `file`) before the guards run, so the
 * form's `_csrf` field reaches the CSRF guard like any other form's. Uses the platform's own multipart parser
 * (the Fetch API's `formData()`) on a body capped at MAX_REQUEST_BYTES; larger requests get 413 unread.
 */
@Injectable()
export class CsvUploadMiddleware implements NestMiddleware {
  async use(req: CsvUploadRequest, _res: ExpressResponse, next: NextFunction): Promise<void> {
    if (!req.is('multipart/form-data')) return next();
    if (Number(req.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) return next(new PayloadTooLargeException());
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) return next(new PayloadTooLargeException());
      chunks.push(chunk);
    }
    let form: FormData;
    try {
      form = await new Response(Buffer.concat(chunks), { headers: { 'content-type': String(req.headers['content-type']) } }).formData();
    } catch {
      // Not parseable: no fields, so no CSRF token either; the CSRF guard refuses it.
      req.body = {};
      return next();
    }
    const body: Record<string, string> = {};
    for (const [name, value] of form.entries()) if (typeof value === 'string' && !(name in body)) body[name] = value;
    req.body = body;
    req.csvUpload = await readFile(form.get('file'));
    next();
  }
}

async function readFile(value: ReturnType<FormData['get']>): Promise<CsvUpload> {
  if (!value || typeof value === 'string' || value.size === 0) return { problem: 'missing' };
  if (value.size > MAX_PROVISION_CSV_BYTES) return { problem: 'too_large' };
  try {
    // Strict UTF-8: a file saved as Shift_JIS (Excel's "CSV" on Japanese Windows) is named as such, not misread.
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(await value.arrayBuffer()) };
  } catch {
    return { problem: 'not_utf8' };
  }
}
