import { Writable } from 'node:stream';
import pino from 'pino';
import { REDACTED_PATHS, redactUrl } from './redaction.rules.js';

describe(redactUrl.name, () => {
  it.each([
    ['/consent/callback?code=abc123&state=xyz', '/consent/callback?code=%5BRedacted%5D&state=%5BRedacted%5D'],
    ['/reset?token=t0k3n&lang=ja', '/reset?token=%5BRedacted%5D&lang=ja'],
    ['/participants?group=G1&page=2', '/participants?group=G1&page=2'],
    ['/health', '/health'],
    ['/setup/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5', '/setup/[Redacted]'],
    ['/password-reset/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5?lang=en', '/password-reset/[Redacted]?lang=en'],
    ['/setup/abc/../x', '/setup/[Redacted]/../x'],
    ['/groups/G1/setup', '/groups/G1/setup'],
  ])('redacts secret path segments and query values in %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('REDACTED_PATHS', () => {
  it('keeps tokens, passwords and credentials out of log records', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ redact: { paths: REDACTED_PATHS, censor: '[Redacted]' } }, sink);
    logger.info({
      req: { headers: { authorization: 'Bearer canary-access', cookie: 'sid=canary-cookie' } },
      tokens: { access_token: 'canary-a', refresh_token: 'canary-r', id_token: 'canary-i' },
      form: { password: 'canary-p', client_secret: 'canary-s', code: 'canary-c' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/canary/);
    expect(lines[0]).toContain('[Redacted]');
  });
});
