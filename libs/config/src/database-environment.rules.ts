import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';

const toInt = ({ value }: { value: unknown }): unknown => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);

/** Variables every process that talks to PostgreSQL reads. */
export class DatabaseEnvironment {
  /** `postgres://user:password@host:port/database`; without it, `npm start` runs the embedded database. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'DATABASE_URL: must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  /** Upper bound of the connection pool of one process. */
  @Transform(toInt)
  @Min(1, { message: 'DATABASE_POOL_MAX: must be between 1 and 100' })
  @Max(100, { message: 'DATABASE_POOL_MAX: must be between 1 and 100' })
  @IsInt({ message: 'DATABASE_POOL_MAX: must be a whole number' })
  DATABASE_POOL_MAX: number = 10;

  /** Folder for local state: the embedded database (`pglite/`) and the local launcher's generated secrets. */
  @IsString()
  DATA_DIR: string = './data';

  /** Loopback port the embedded database listens on; the sandbox's own embedded database uses the next one. */
  @Transform(toInt)
  @Min(1, { message: 'EMBEDDED_DB_PORT: must be a port number' })
  @Max(65535, { message: 'EMBEDDED_DB_PORT: must be a port number' })
  @IsInt({ message: 'EMBEDDED_DB_PORT: must be a port number' })
  EMBEDDED_DB_PORT: number = 5499;
}

export { toInt };
