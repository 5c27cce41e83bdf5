/**
 * The Store on PostgreSQL (EARSHOT_DATABASE_URL): the repositories over a pg pool, for any
 * number of earshot nodes sharing one database.
 *
 * A call through the root store runs on any free pooled connection; `transaction(fn)` takes one
 * connection for BEGIN … COMMIT and binds `tx` to it (nested calls become savepoints). The
 * isolation level is PostgreSQL's default, READ COMMITTED: every write that must not race with
 * another node's is a single conditional statement (ON CONFLICT, UPDATE … WHERE, FOR UPDATE SKIP
 * LOCKED) or takes a transaction-scoped advisory lock, so no caller retries serialization failures.
 */
import { BackupUnsupportedError } from '../errors.js';
import { PG_MIGRATIONS } from './migrations.js';
import { openPostgres, type OpenPostgresOptions, type PgDatabase } from './connect.js';
import { clusterRepo, type ClusterRepo } from './cluster.js';
import { digestRunRepo } from './digest-runs.js';
import { mentionRepo } from './mentions.js';
import { outboxRepo } from './outbox.js';
import { reportRepo } from './reports.js';
import { metaRepo, retentionRepo } from './retention.js';
import { ruleStateRepo } from './rule-state.js';
import { silenceRepo } from './silences.js';
import { sourceStateRepo } from './source-state.js';
import { clientSql, poolSql, withTransaction, type Sql } from './sql.js';
import type {
  DaemonLock,
  DaemonState,
  BackupCheck,
  DigestRunRepo,
  MentionRepo,
  MetaRepo,
  OutboxRepo,
  ReportRepo,
  Repositories,
  RetentionRepo,
  RuleStateRepo,
  SilenceRepo,
  SourceStateRepo,
  Store,
  StoreInfo,
} from '../types.js';

type Begin = <T>(fn: (tx: Repositories) => Promise<T>) => Promise<T>;

class PgRepositories implements Repositories {
  readonly mentions: MentionRepo;
  readonly outbox: OutboxRepo;
  readonly rules: RuleStateRepo;
  readonly sources: SourceStateRepo;
  readonly silences: SilenceRepo;
  readonly digests: DigestRunRepo;
  readonly meta: MetaRepo;
  readonly retention: RetentionRepo;
  readonly reports: ReportRepo;

  constructor(
    readonly sql: Sql,
    private readonly begin: Begin,
  ) {
    this.mentions = mentionRepo(sql);
    this.outbox = outboxRepo(sql);
    this.rules = ruleStateRepo(sql);
    this.sources = sourceStateRepo(sql);
    this.silences = silenceRepo(sql);
    this.digests = digestRunRepo(sql);
    this.meta = metaRepo(sql);
    this.retention = retentionRepo(sql);
    this.reports = reportRepo(sql);
  }

  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.begin(fn);
  }
}

let savepoints = 0;

export class PostgresStore extends PgRepositories implements Store {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  /** Nodes, leases, delivery claims and shared rate budgets (PostgreSQL only). */
  readonly cluster: ClusterRepo;
  private closing: Promise<void> | null = null;

  constructor(readonly database: PgDatabase) {
    super(poolSql(database.pool), (fn) => this.runTransaction(fn));
    this.location = database.displayUrl;
    this.cluster = clusterRepo(this.sql);
  }

  get pool(): PgDatabase['pool'] {
    return this.database.pool;
  }

  private runTransaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return withTransaction(this.database.pool, async (client) => {
      let open = true;
      const sql = clientSql(client, () => open);
      const nested: Begin = async (inner) => {
        if (!open) throw new Error('store: this transaction has ended; use the store, or a new transaction');
        const name = `sp${++savepoints}`;
        await client.query(`SAVEPOINT ${name}`);
        try {
          const result = await inner(repos);
          await client.query(`RELEASE SAVEPOINT ${name}`);
          return result;
        } catch (err) {
          await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
          await client.query(`RELEASE SAVEPOINT ${name}`);
          throw err;
        }
      };
      const repos = new PgRepositories(sql, nested);
      try {
        return await fn(repos);
      } finally {
        open = false;
      }
    });
  }

  async describe(): Promise<StoreInfo> {
    const row = await this.sql.one<{ applied: number; bytes: number }>(
      'SELECT (SELECT count(*) FROM earshot_migrations) AS applied, pg_database_size(current_database()) AS bytes',
    );
    return {
      dialect: this.dialect,
      location: this.location,
      schemaVersion: row?.applied ?? 0,
      knownSchemaVersion: PG_MIGRATIONS.length,
      bytes: row?.bytes ?? 0,
      walBytes: 0,
    };
  }

  /** Nodes share a PostgreSQL database by design: nothing to claim (the cluster tracks nodes). */
  lockDaemon(): Promise<DaemonLock> {
    return Promise.resolve({ release: () => undefined });
  }

  daemonState(): Promise<DaemonState> {
    return Promise.resolve({ running: false, owner: null });
  }

  backup(): Promise<BackupCheck> {
    return Promise.reject(
      new BackupUnsupportedError(
        `earshot backup copies a SQLite file; this deployment keeps its data in PostgreSQL (${this.location}). ` +
          'Back it up with pg_dump, e.g. pg_dump --format=custom --file=earshot.dump "$EARSHOT_DATABASE_URL" (see README, "Running several nodes").',
      ),
    );
  }

  close(): Promise<void> {
    this.closing ??= this.database.close();
    return this.closing;
  }
}

/** Connects to PostgreSQL, migrates (once across nodes) and returns the store. */
export async function openPostgresStore(url: string, options: OpenPostgresOptions = {}): Promise<PostgresStore> {
  return new PostgresStore(await openPostgres(url, options));
}
