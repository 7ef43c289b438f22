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

  it('shares a named prepared statement among connections, as each prepares it once for itself', async () => {
    const clients = Array.from({ length: 3 }, () => new pg.Client({ connectionString: embedded.url }));
    await Promise.all(clients.map((client) => client.connect()));
    try {
      const outcomes: string[] = [];
      for (let round = 0; round < 3; round++) {
        for (const [index, client] of clients.entries()) {
          try {
            // The same name and text on every connection, as libs/measurements' executePrepared sends it.
            const { rows } = await client.query({ name: 'opendsp_shared', text: 'select $1::int * 2 as twice', values: [index + round] });
            outcomes.push(rows[0].twice === 2 * (index + round) ? 'ok' : 'wrong');
          } catch (error) {
            outcomes.push((error as Error).message);
          }
        }
      }
      expect(outcomes).toEqual(Array(9).fill('ok'));
      // Closed by its name (DEALLOCATE), it is prepared again by the next connection that asks.
      await clients[0].query('deallocate opendsp_shared');
      const again = new pg.Client({ connectionString: embedded.url });
      await again.connect();
      const { rows } = await again.query({ name: 'opendsp_shared', text: 'select $1::int * 2 as twice', values: [21] });
      expect(rows[0].twice).toBe(42);
      await again.end();
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  });
});
