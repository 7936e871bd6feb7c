/** What the analytics activities are built from: real clients, handed in by the entry point. */
import type { Client } from '@temporalio/client';
import type { PriceBook } from '../../domain/pricing';
import type { ClickHouseStore } from '../../stores/clickhouse';
import type { MongoStores } from '../../stores/mongo';
import type { ArchiveSink } from './archive-sink';
import type { Pseudonymize } from './pseudonym';

export interface AnalyticsDeps {
  mongo: MongoStores;
  clickhouse: ClickHouseStore;
  pseudonymize: Pseudonymize;
  priceBook: PriceBook;
  archive: ArchiveSink;
  /** Temporal visibility, for `workflow_runs` (without it that table is not collected). */
  temporal?: Client;
  /** Rows per ClickHouse insert (default ETL_BATCH_ROWS). */
  batchRows?: number;
  /** Messages per archive file (default 5,000). */
  archiveBatch?: number;
}
