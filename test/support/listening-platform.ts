import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadDspConfig } from '@opendsp/config';
import { createDspApp } from '../../apps/dsp/src/bootstrap.js';
import { createTestDatabase, freePort, type TestDatabase } from './test-database.js';
import { testDspEnv } from './test-environment.js';

export interface ListeningPlatform {
  database: TestDatabase;
  app: NestExpressApplication;
  /** `http://127.0.0.1:<port>`, also the platform's PUBLIC_BASE_URL. */
  baseUrl: string;
  close(): Promise<void>;
}

/**
 * The platform on a real port of its own database, for tests a browser drives. English unless `env` says
 * otherwise; `env` overrides single variables of the test environment.
 */
export async function startListeningPlatform(env: Record<string, string> = {}): Promise<ListeningPlatform> {
  const database = await createTestDatabase();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const app = await createDspApp(
    loadDspConfig(
      testDspEnv({ DATABASE_URL: database.settings.url, PORT: String(port), PUBLIC_BASE_URL: baseUrl, DSP_LANGUAGE: 'en', ...env }),
    ),
  );
  await app.listen(port, '127.0.0.1');
  return {
    database,
    app,
    baseUrl,
    async close() {
      await app.close();
      await database.drop();
    },
  };
}
