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
];
