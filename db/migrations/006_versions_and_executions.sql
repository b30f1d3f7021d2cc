-- A request has versions (re-runs with edited parameters); each version has executions (runs of
-- its state machine, the first one and any operator retries). Each execution is a child workflow.
CREATE TABLE request_versions (
  request_id        uuid NOT NULL REFERENCES requests (id),
  version           integer NOT NULL,
  parameters        jsonb NOT NULL,
  -- The state of the version's current (latest) execution.
  state             text NOT NULL DEFAULT 'Start',
  current_execution integer NOT NULL DEFAULT 1,
  created_by        text NOT NULL,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, version)
);
CREATE INDEX request_versions_by_state ON request_versions (state, request_id);

CREATE TABLE request_executions (
  request_id  uuid NOT NULL REFERENCES requests (id),
  version     integer NOT NULL,
  execution   integer NOT NULL,
  workflow_id text NOT NULL UNIQUE,
  state       text NOT NULL DEFAULT 'Start',
  -- Highest transition applied; an older transition never overwrites a newer one.
  last_seq    integer NOT NULL DEFAULT 0,
  error       text,
  started_by  text NOT NULL,
  started_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, version, execution),
  FOREIGN KEY (request_id, version) REFERENCES request_versions (request_id, version)
);

-- What happened to the request as a whole, and who asked: versions added, retries, cancels, sealing.
CREATE TABLE request_events (
  request_id  uuid NOT NULL REFERENCES requests (id),
  seq         integer NOT NULL,
  type        text NOT NULL,
  version     integer,
  execution   integer,
  actor       text NOT NULL,
  details     jsonb NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL,
  PRIMARY KEY (request_id, seq)
);

-- Sealed: no new version can be added (a version passed QA or completed, or the request was cancelled or closed).
ALTER TABLE requests
  ADD COLUMN sealed          boolean NOT NULL DEFAULT false,
  ADD COLUMN current_version integer NOT NULL DEFAULT 1;

-- Transitions, callbacks and e-mails belong to one execution: their sequence numbers restart per execution.
ALTER TABLE request_transitions ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN execution integer NOT NULL DEFAULT 1;
ALTER TABLE request_transitions DROP CONSTRAINT request_transitions_pkey;
ALTER TABLE request_transitions ADD PRIMARY KEY (request_id, version, execution, seq);

ALTER TABLE webhook_deliveries ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN execution integer NOT NULL DEFAULT 1;
ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_pkey;
ALTER TABLE webhook_deliveries ADD PRIMARY KEY (request_id, version, execution, seq, message);

ALTER TABLE notifications ADD COLUMN version integer NOT NULL DEFAULT 1, ADD COLUMN execution integer NOT NULL DEFAULT 1;
ALTER TABLE notifications DROP CONSTRAINT notifications_pkey;
ALTER TABLE notifications ADD PRIMARY KEY (request_id, version, execution, seq, template, recipient, occurrence);

-- Requests from before versions existed ran as their own single execution.
INSERT INTO request_versions (request_id, version, parameters, state, created_by, created_at)
  SELECT id, 1, parameters, state, submitted_by, submitted_at FROM requests;
INSERT INTO request_executions (request_id, version, execution, workflow_id, state, last_seq, started_by, started_at)
  SELECT id, 1, 1, workflow_id, state, last_seq, submitted_by, submitted_at FROM requests;
