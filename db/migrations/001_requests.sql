-- The read model of capability requests. The workflow is the source of truth; these rows are
-- what the API lists and reads, kept current by the workflow's transition activity.
CREATE TABLE requests (
  id            uuid PRIMARY KEY,
  workflow_id   text NOT NULL UNIQUE,
  capability    text NOT NULL,
  state         text NOT NULL,
  -- Highest transition sequence applied; guards against an older transition overwriting a newer one.
  last_seq      integer NOT NULL DEFAULT 0,
  parameters    jsonb NOT NULL,
  submitted_by  text NOT NULL,
  submitted_at  timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX requests_by_submission ON requests (submitted_at DESC, id DESC);
CREATE INDEX requests_by_capability_state ON requests (capability, state, submitted_at DESC);

-- The audit trail: one row per transition, written once (the primary key makes a retried
-- activity a no-op).
CREATE TABLE request_transitions (
  request_id  uuid NOT NULL REFERENCES requests (id),
  seq         integer NOT NULL,
  from_state  text NOT NULL,
  event       text NOT NULL,
  to_state    text NOT NULL,
  actions     text[] NOT NULL,
  error       text,
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (request_id, seq)
);

-- Idempotency-Key replay store: same key and same body get the stored answer.
CREATE TABLE idempotency_keys (
  principal       text NOT NULL,
  key             text NOT NULL,
  request_hash    text NOT NULL,
  status          integer,
  response_body   jsonb,
  response_location text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, key)
);
