import pg from 'pg';

/** Role names and passwords of a deployment (docker-compose.yml's `db-init` job). */
export interface RolePlan {
  /** Owns Temporal's two databases; no other rights. */
  temporal: { role: string; password: string; databases: readonly string[] };
  /** Owns the app database and its schema: runs the migrations. */
  migrator: { role: string; password: string };
  /** Reads and writes the app's rows (worker, api, bot): no DDL, no other database. */
  app: { role: string; password: string };
  /** The app database, owned by the migrator. */
  appDatabase: string;
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * Creates (or brings back in line) the roles and databases of a deployment, as the Postgres
 * superuser, which nothing else then uses. Re-runnable: existing roles get the current passwords
 * and rights, existing databases stay. The app role's grants cover tables later migrations
 * create too (default privileges of the migrator role).
 *
 * @param superuserUrl connection string of a superuser, to the `postgres` maintenance database
 * @returns the databases created by this call
 */
export async function provisionRoles(superuserUrl: string, plan: RolePlan): Promise<string[]> {
  const created: string[] = [];
  const admin = new pg.Client({ connectionString: superuserUrl });
  await admin.connect();
  try {
    for (const { role, password } of [plan.temporal, plan.migrator, plan.app]) {
      const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      const verb = exists.rowCount === 0 ? 'CREATE' : 'ALTER';
      await admin.query(
        `${verb} ROLE ${ident(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION PASSWORD ${literal(password)}`,
      );
    }
    const owners: Array<[string, string]> = [
      ...plan.temporal.databases.map((db): [string, string] => [db, plan.temporal.role]),
      [plan.appDatabase, plan.migrator.role],
    ];
    for (const [database, owner] of owners) {
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      if (exists.rowCount === 0) {
        await admin.query(`CREATE DATABASE ${ident(database)} OWNER ${ident(owner)}`);
        created.push(database);
      } else {
        await admin.query(`ALTER DATABASE ${ident(database)} OWNER TO ${ident(owner)}`);
      }
      await admin.query(`REVOKE ALL ON DATABASE ${ident(database)} FROM PUBLIC`);
    }
    await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${ident(plan.appDatabase)} TO ${ident(plan.app.role)}`);
  } finally {
    await admin.end();
  }

  const url = new URL(superuserUrl);
  url.pathname = `/${plan.appDatabase}`;
  const appDb = new pg.Client({ connectionString: url.toString() });
  await appDb.connect();
  try {
    const app = ident(plan.app.role);
    const migrator = ident(plan.migrator.role);
    await appDb.query(`
      REVOKE CREATE ON SCHEMA public FROM PUBLIC;
      ALTER SCHEMA public OWNER TO ${migrator};
      GRANT USAGE ON SCHEMA public TO ${app};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${app};
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${app};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${migrator} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${app};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${migrator} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${app};
    `);
  } finally {
    await appDb.end();
  }
  return created;
}
