/**
 * The database cannot be used at all: it does not exist, nothing answers at its address, or it refuses
 * the credentials. The message is one line an operator can act on (which database, which command); never
 * the driver's error object, and never the password from DATABASE_URL.
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

/** `user@host:port/database` of a DATABASE_URL, without the password. */
function describe(url: string): { name: string; where: string } {
  try {
    const parsed = new URL(url);
    const name = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || 'postgres';
    return { name, where: `${parsed.hostname}:${parsed.port || '5432'}` };
  } catch {
    return { name: '(unreadable DATABASE_URL)', where: '(unreadable DATABASE_URL)' };
  }
}

/** A DatabaseUnavailableError for the driver errors an operator can fix, or null for anything else. */
export function explainDatabaseError(error: unknown, url: string): DatabaseUnavailableError | null {
  const { code } = (error ?? {}) as { code?: string };
  const { name, where } = describe(url);
  switch (code) {
    case '3D000':
      return new DatabaseUnavailableError(
        `The database "${name}" does not exist on ${where}: create it (createdb ${name}), then run \`npm run migrate\`.`,
      );
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'ETIMEDOUT':
      return new DatabaseUnavailableError(
        `No PostgreSQL answers at ${where} (DATABASE_URL, database "${name}"): start it or correct DATABASE_URL.`,
      );
    case '28P01':
    case '28000':
      return new DatabaseUnavailableError(
        `PostgreSQL at ${where} refused the user and password in DATABASE_URL for the database "${name}": correct them.`,
      );
    default:
      return null;
  }
}
