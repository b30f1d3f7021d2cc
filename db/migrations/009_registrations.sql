-- One row per client transaction: the request it started, which execution is waiting for the
-- country configuration, and the outcome — stored the moment it is known (answer or callback),
-- so a callback that arrives early, late or twice is never lost and never changes a settled outcome.
CREATE TABLE registrations (
  transaction_id      text PRIMARY KEY,
  request_id          uuid NOT NULL UNIQUE REFERENCES requests (id),
  initiated_by        text NOT NULL,
  waiting_workflow_id text,
  state               text NOT NULL DEFAULT 'submitted' CHECK (state IN ('submitted', 'waiting', 'confirmed', 'rejected')),
  registration_number text,
  identifiers         jsonb,
  reason              text,
  comment             text,
  decided_by          text,
  decided_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now()
);
