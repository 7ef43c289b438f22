import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.helpers.js';
import { freePort } from '../../../test/support/test-database.js';

describe(startEmbeddedPostgres.name, () => {
  let embedded: EmbeddedPostgres;
  beforeAll(async () => {
    embedded = await startEmbeddedPostgres({ port: await freePort() });
  });
  afterAll(() => embedded.stop());

  it('keeps each connection’s parameterised queries whole while others wait behind a transaction', async () => {
    const pool = new pg.Pool({ connectionString: embedded.url, max: 10 });
    let done = false;
    const transactions = (async () => {
      while (!done) {
        const client = await pool.connect();
        await client.query('begin');
        await client.query('select $1::int', [1]);
        await new Promise((resolve) => setTimeout(resolve, 10));
        await client.query('commit');
        client.release();
      }
    })();
    const outcomes: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let round = 0; round < 40; round++) {
          // Different parameter counts per lane: a Bind landing on another lane's Parse fails loudly.
          const params = Array.from({ length: (lane % 4) + 1 }, (_, index) => lane * 1000 + index);
          try {
            const { rows } = await pool.query(`select ${params.map((_, index) => `$${index + 1}::int`).join(' + ')} as sum`, params);
            outcomes.push(Number(rows[0].sum) === params.reduce((a, b) => a + b, 0) ? 'ok' : 'wrong sum');
          } catch (error) {
            outcomes.push((error as Error).message);
          }
        }
      }),
    );
    done = true;
    await transactions;
    await pool.end();
    expect(outcomes.filter((outcome) => outcome !== 'ok')).toEqual([]);
    expect(outcomes).toHaveLength(320);
  });
});
