-- One row per mention and matched watch (watch = '' when none matched).
-- ReplacingMergeTree absorbs redeliveries: count exactly with FINAL or uniqExact(id).
CREATE TABLE IF NOT EXISTS mentions{{onCluster}} (
    id String,
    watch String,
    source String,
    url String,
    created_at DateTime('UTC'),
    collected_at DateTime('UTC'),
    analyzed_at DateTime('UTC'),
    stored_at DateTime('UTC'),
    author_id String,
    author_handle String,
    author_name String,
    author_followers UInt64,
    author_verified UInt8,
    employee_id String,
    author_region String,
    text String,
    lang String,
    hashtags Array(String),
    user_mentions Array(String),
    links Array(String),
    reply_to String,
    repost_of String,
    quote_of String,
    likes UInt64,
    reposts UInt64,
    replies UInt64,
    views UInt64,
    reach UInt64,
    sentiment_score Float32,
    sentiment_label String,
    sentiment_terms Array(String),
    charter_rules Array(String),
    charter_categories Array(String),
    charter_max_severity UInt8,
    entities Array(String),
    idea UInt8,
    relay_of_official UInt8,
    detractor UInt8,
    watches Array(String),
    version UInt64
) ENGINE = {{engine "mentions" "ReplacingMergeTree" "version"}}
PARTITION BY toYYYYMM(created_at)
ORDER BY (watch, created_at, id);

-- Per watch, minute (event time) and source. Fed by the view below on every
-- insert into mentions, so a redelivered batch is counted twice here: these
-- are for dashboards; exact counts come from mentions FINAL.
CREATE TABLE IF NOT EXISTS mention_minutes{{onCluster}} (
    watch String,
    minute DateTime('UTC'),
    source String,
    mentions UInt64,
    negatives UInt64,
    positives UInt64,
    sentiment_sum Float64,
    reach UInt64,
    employee_posts UInt64
) ENGINE = {{engine "mention_minutes" "SummingMergeTree"}}
PARTITION BY toYYYYMM(minute)
ORDER BY (watch, minute, source);

CREATE MATERIALIZED VIEW IF NOT EXISTS mention_minutes_mv{{onCluster}} TO mention_minutes AS
SELECT
    watch,
    toStartOfMinute(created_at) AS minute,
    source,
    count() AS mentions,
    countIf(sentiment_label = 'negative') AS negatives,
    countIf(sentiment_label = 'positive') AS positives,
    sum(toFloat64(sentiment_score)) AS sentiment_sum,
    sum(reach) AS reach,
    countIf(employee_id != '') AS employee_posts
FROM mentions
GROUP BY watch, minute, source;
