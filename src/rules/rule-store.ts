/**
 * The store as the rule engine sees it: the repositories it reads and writes, nothing more. The
 * daemon, `poll --once` and `import` pass their Store; the replay (`earshot rules test`) passes
 * an in-memory one (replay-store.ts), so both run the very same evaluation code.
 */
import type { Logger } from '../core/log.js';
import type { MentionRepo, MetaRepo, OutboxRepo, RuleStateRepo, SilenceRepo, SourceStateRepo } from '../store/types.js';
import type { RuleContext } from './model.js';

export interface RuleStore {
  readonly mentions: Pick<MentionRepo, 'get' | 'newIds' | 'setAlertState' | 'list' | 'isFirstFromAuthor' | 'lastFetchedAt' | 'importedHistoryFrom'>;
  readonly rules: RuleStateRepo;
  readonly outbox: Pick<OutboxRepo, 'insertAlert' | 'countDeliveriesSince'>;
  readonly silences: Pick<SilenceRepo, 'active'>;
  readonly sources: Pick<SourceStateRepo, 'list'>;
  readonly meta: Pick<MetaRepo, 'get' | 'set'>;
  transaction<T>(fn: (tx: RuleStore) => Promise<T>): Promise<T>;
}

export interface EngineDeps {
  store: RuleStore;
  /** The rules and what they know of the deployment (config's `Config` is one). */
  config: RuleContext;
  log: Logger;
  now: () => Date;
  /**
   * Plan deliveries as if every notifier were configured (the replay shows what the rules would
   * send, whatever credentials this machine has).
   */
  assumeConfigured?: boolean;
}
