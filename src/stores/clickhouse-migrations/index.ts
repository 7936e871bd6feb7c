/**
 * Numbered ClickHouse schema migrations. A migration is never edited once released: schema changes
 * append a new one. Each statement receives a function that qualifies table names.
 */
export interface ClickHouseMigration {
  version: number;
  name: string;
  statements: (table: (name: string) => string) => string[];
}

export const clickHouseMigrations: ClickHouseMigration[] = [
  {
    version: 1,
    name: 'usage_events',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t('usage_events')} (
        event_id String,
        app_id LowCardinality(String),
        ts DateTime64(3, 'UTC'),
        user_pseudonym String,
        chat_id String,
        turn_id String,
        template LowCardinality(String),
        provider LowCardinality(String),
        model LowCardinality(String),
        input_tokens UInt64,
        cached_input_tokens UInt64,
        output_tokens UInt64,
        cost_nanos Int64,
        priced Bool,
        price_table_version LowCardinality(String),
        latency_ms UInt32,
        ttft_ms UInt32,
        status LowCardinality(String),
        error_type LowCardinality(String),
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(ingested_at)
      ORDER BY (app_id, ts, event_id)`,
    ],
  },
  {
    version: 2,
    name: 'audit_events',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t('audit_events')} (
        event_id String,
        app_id LowCardinality(String),
        ts DateTime64(3, 'UTC'),
        actor_pseudonym String,
        actor_roles Array(LowCardinality(String)),
        action LowCardinality(String),
        resource_type LowCardinality(String),
        resource_id String,
        outcome LowCardinality(String),
        hash String,
        prev_hash String,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(ingested_at)
      ORDER BY (app_id, ts, event_id)`,
    ],
  },
  {
    version: 3,
    name: 'workflow_runs',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t('workflow_runs')} (
        event_id String,
        app_id LowCardinality(String),
        ts DateTime64(3, 'UTC'),
        workflow_id String,
        run_id String,
        workflow_type LowCardinality(String),
        kind LowCardinality(String),
        template LowCardinality(String),
        status LowCardinality(String),
        close_time Nullable(DateTime64(3, 'UTC')),
        duration_ms UInt64,
        history_length UInt32,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(ingested_at)
      ORDER BY (app_id, ts, event_id)`,
    ],
  },
  {
    version: 4,
    name: 'daily_app_usage',
    statements: (t) => [
      `CREATE TABLE IF NOT EXISTS ${t('daily_app_usage')} (
        app_id LowCardinality(String),
        day Date,
        model LowCardinality(String),
        template LowCardinality(String),
        calls UInt64,
        errors UInt64,
        input_tokens UInt64,
        cached_input_tokens UInt64,
        output_tokens UInt64,
        cost_nanos Int64,
        unpriced_calls UInt64,
        p50_latency_ms Float64,
        p95_latency_ms Float64,
        computed_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(computed_at)
      ORDER BY (app_id, day, model, template)`,
    ],
  },
  {
    // 1-4 were drafts nothing wrote to (the ETL did not exist): 5 replaces them with the schemas
    // the ETL, rollups, re-pricing and erasure need. From here on, tables only change by ALTER.
    version: 5,
    name: 'analytics_v1',
    statements: (t) => [
      `DROP TABLE IF EXISTS ${t('usage_events')}`,
      `CREATE TABLE ${t('usage_events')} (
        event_id String,
        app_id LowCardinality(String),
        ts DateTime64(3, 'UTC'),
        user_pseudonym String,
        chat_id String,
        turn_id String,
        step UInt16,
        template LowCardinality(String),
        provider LowCardinality(String),
        model LowCardinality(String),
        input_tokens UInt64,
        cached_input_tokens UInt64,
        output_tokens UInt64,
        cost_nanos Int64,
        priced Bool,
        price_table_version LowCardinality(String),
        billed_cost_nanos Int64,
        billed_priced Bool,
        billed_price_table_version LowCardinality(String),
        energy_wh Float64,
        energy_estimated Bool,
        latency_ms UInt32,
        ttft_ms UInt32,
        status LowCardinality(String),
        error_type LowCardinality(String),
        version UInt64,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(version)
      PARTITION BY toYYYYMM(ts)
      ORDER BY (app_id, ts, event_id)
      SETTINGS non_replicated_deduplication_window = 1000`,
      `DROP TABLE IF EXISTS ${t('audit_events')}`,
      `CREATE TABLE ${t('audit_events')} (
        event_id String,
        app_id LowCardinality(String),
        ts DateTime64(3, 'UTC'),
        seq UInt64,
        actor_pseudonym String,
        actor_via LowCardinality(String),
        actor_roles Array(LowCardinality(String)),
        action LowCardinality(String),
        resource_type LowCardinality(String),
        resource_id String,
        outcome LowCardinality(String),
        hash String,
        prev_hash String,
        version UInt64,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(version)
      PARTITION BY toYYYYMM(ts)
      ORDER BY (app_id, ts, event_id)
      SETTINGS non_replicated_deduplication_window = 1000`,
      `DROP TABLE IF EXISTS ${t('daily_app_usage')}`,
      `CREATE TABLE ${t('daily_app_usage')} (
        app_id LowCardinality(String),
        day Date,
        model LowCardinality(String),
        template LowCardinality(String),
        user_pseudonym String,
        run_id String,
        calls UInt64,
        turns UInt64,
        errors UInt64,
        input_tokens UInt64,
        cached_input_tokens UInt64,
        output_tokens UInt64,
        cost_nanos Int64,
        billed_cost_nanos Int64,
        unpriced_calls UInt64,
        energy_wh Float64,
        unestimated_calls UInt64,
        latency_q AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt32),
        ttft_q AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt32),
        computed_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(computed_at)
      PARTITION BY toYYYYMM(day)
      ORDER BY (app_id, day, run_id, model, template, user_pseudonym)`,
      // One row per finished rollup of a day: readers use only the latest run of each day.
      `CREATE TABLE IF NOT EXISTS ${t('daily_rollup_runs')} (
        day Date,
        run_id String,
        events UInt64,
        computed_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(computed_at)
      ORDER BY (day, run_id)`,
    ],
  },
  {
    version: 6,
    name: 'workflow_runs_insert_dedup',
    statements: (t) => [`ALTER TABLE ${t('workflow_runs')} MODIFY SETTING non_replicated_deduplication_window = 1000`],
  },
  {
    // Rollups by the hour: each closed hour is rolled up right after its ETL, and the daily job
    // merges the day's 24 hourly partials (recomputing an hour from the events only when it was
    // written to since its rollup: `usage_hour_writes`). The percentile states become bfloat16
    // histograms, whose merge is exact and cheap (t-digest merges cost as much as the raw values).
    // Rollups are derived data: the old t-digest rollups are cleared, so readers take those days
    // from the events until they are rolled up again (daily job, backfill).
    version: 7,
    name: 'hourly_rollups_bfloat16',
    statements: (t) => [
      `TRUNCATE TABLE ${t('daily_rollup_runs')}`,
      `TRUNCATE TABLE ${t('daily_app_usage')}`,
      `ALTER TABLE ${t('daily_app_usage')} DROP COLUMN IF EXISTS latency_q, DROP COLUMN IF EXISTS ttft_q`,
      `ALTER TABLE ${t('daily_app_usage')}
        ADD COLUMN IF NOT EXISTS latency_q AggregateFunction(quantilesBFloat16(0.5, 0.95, 0.99), UInt32) AFTER unestimated_calls,
        ADD COLUMN IF NOT EXISTS ttft_q AggregateFunction(quantilesBFloat16(0.5, 0.95, 0.99), UInt32) AFTER latency_q`,
      `CREATE TABLE IF NOT EXISTS ${t('hourly_app_usage')} (
        app_id LowCardinality(String),
        hour DateTime('UTC'),
        model LowCardinality(String),
        template LowCardinality(String),
        user_pseudonym String,
        run_id String,
        calls UInt64,
        turns UInt64,
        errors UInt64,
        input_tokens UInt64,
        cached_input_tokens UInt64,
        output_tokens UInt64,
        cost_nanos Int64,
        billed_cost_nanos Int64,
        unpriced_calls UInt64,
        energy_wh Float64,
        unestimated_calls UInt64,
        latency_q AggregateFunction(quantilesBFloat16(0.5, 0.95, 0.99), UInt32),
        ttft_q AggregateFunction(quantilesBFloat16(0.5, 0.95, 0.99), UInt32)
      ) ENGINE = MergeTree
      PARTITION BY toYYYYMM(hour)
      ORDER BY (hour, run_id, app_id, model, template, user_pseudonym)`,
      // One row per finished rollup of an hour; `snapshot_at` is taken before it reads the events.
      `CREATE TABLE IF NOT EXISTS ${t('hourly_rollup_runs')} (
        hour DateTime('UTC'),
        run_id String,
        snapshot_at DateTime64(3, 'UTC'),
        events UInt64,
        computed_at DateTime64(3, 'UTC')
      ) ENGINE = ReplacingMergeTree(computed_at)
      PARTITION BY toYYYYMM(hour)
      ORDER BY (hour, run_id)`,
      // When each hour's events were last written (after the write committed): an hourly rollup
      // whose snapshot is not later than that is stale.
      `CREATE TABLE IF NOT EXISTS ${t('usage_hour_writes')} (
        hour DateTime('UTC'),
        written_at DateTime64(3, 'UTC') DEFAULT now64(3)
      ) ENGINE = ReplacingMergeTree(written_at)
      PARTITION BY toYYYYMM(hour)
      ORDER BY hour`,
    ],
  },
];
