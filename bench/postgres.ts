import pg from 'pg';

/**
 * Why the benches' PostgreSQL does not answer, or undefined when it does: a bench leaves PostgreSQL
 * out with this as its note rather than failing on a machine without the server.
 */
export async function postgresUnreachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}
