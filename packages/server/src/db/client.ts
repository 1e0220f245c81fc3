import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;
/** The one database type services' repos see, whichever engine is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** Plain SQL for libraries that bring their own (the job queue): text, `$n` values. */
export interface RawSql {
  /** Without values the text may hold several statements. */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[]; rowCount: number }>;
}

export interface Database {
  db: Db;
  kind: 'pglite' | 'postgres';
  raw: RawSql;
  close(): Promise<void>;
}

/** PostgreSQL connections opened at start (the pool grows to 20 on demand). */
const WARM_CONNECTIONS = 4;

const migrationsFolder = path.join(path.dirname(new URL(import.meta.url).pathname), 'migrations');

/**
 * PostgreSQL when a URL is given, otherwise embedded PostgreSQL (PGlite) in `dataDir/pgdata`.
 * `memory://` keeps PGlite in memory, for tests.
 */
export async function openDatabase(url: string | undefined, dataDir: string): Promise<Database> {
  if (url && /^postgres(ql)?:\/\//.test(url)) {
    // Idle connections stay open for minutes, not pg's 10 s: the first burst after a quiet
    // spell (a flash sale's "now!") should not wait for new connections.
    const pool = new pg.Pool({ connectionString: url, max: 20, idleTimeoutMillis: 300_000 });
    pool.on('error', () => {
      // An idle client lost its connection; the pool replaces it. Queries still report errors.
    });
    // A few connections from the start, for the same reason.
    await Promise.all(Array.from({ length: WARM_CONNECTIONS }, () => pool.query('select 1')));
    const db = drizzlePg(pool, { schema, casing: 'snake_case' }) as unknown as Db;
    const raw: RawSql = {
      async executeSql(text, values) {
        const result = await pool.query(text, values);
        const last = Array.isArray(result) ? (result.at(-1) as pg.QueryResult) : result;
        return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
      },
    };
    return { db, kind: 'postgres', raw, close: () => pool.end() };
  }
  let client: PGlite;
  if (url === 'memory://') {
    client = await PGlite.create();
  } else {
    const dir = path.join(dataDir, 'pgdata');
    mkdirSync(dir, { recursive: true });
    client = await PGlite.create(dir);
  }
  const db = drizzlePglite(client, { schema, casing: 'snake_case' }) as unknown as Db;
  const raw: RawSql = {
    async executeSql(text, values) {
      // PGlite's extended protocol takes one statement; its simple protocol takes several.
      if (!values || values.length === 0) {
        const results = await client.exec(text);
        const last = results.at(-1);
        return { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? last?.rows.length ?? 0 };
      }
      const result = await client.query(text, values);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
  };
  return { db, kind: 'pglite', raw, close: () => client.close() };
}

export async function migrateDatabase(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as never, { migrationsFolder });
  } else {
    await migratePg(database.db as never, { migrationsFolder });
  }
}
