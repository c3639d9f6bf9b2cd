-- One row per crisis lifecycle event (open, update, resolved); a crisis is
-- all the rows sharing an id.
CREATE TABLE IF NOT EXISTS crises{{onCluster}} (
    id String,
    watch String,
    status String,
    severity UInt8,
    opened_at DateTime('UTC'),
    at DateTime('UTC'),
    observed Float64,
    expected Float64,
    score Float64,
    signals Array(String),
    top_terms Array(String),
    top_hashtags Array(String),
    employee_share Float32,
    summary_fr String,
    summary_en String,
    detail String,
    drill UInt8
) ENGINE = {{engine "crises" "ReplacingMergeTree"}}
PARTITION BY toYYYYMM(opened_at)
ORDER BY (watch, opened_at, id, status, at);

-- The alerting journal: deliveries, failures, escalations, acknowledgements.
CREATE TABLE IF NOT EXISTS alerts{{onCluster}} (
    at DateTime('UTC'),
    alert_key String,
    kind String,
    watch String,
    severity UInt8,
    receiver String,
    action String,
    actor String,
    detail String,
    drill UInt8
) ENGINE = {{engine "alerts" "MergeTree"}}
PARTITION BY toYYYYMM(at)
ORDER BY (at, alert_key);
