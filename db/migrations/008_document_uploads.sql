-- Uploaded files: the bytes live here, referenced by id; they never enter Temporal payloads.
CREATE TABLE document_blobs (
  id           uuid PRIMARY KEY,
  request_id   uuid NOT NULL,
  file_name    text NOT NULL,
  content_type text NOT NULL,
  size         integer NOT NULL,
  sha256       text NOT NULL,
  bytes        bytea NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- One row per upload to the documents API: pending until the status poller learns its outcome.
CREATE TABLE document_uploads (
  request_id        uuid NOT NULL REFERENCES requests (id),
  version           integer NOT NULL,
  execution         integer NOT NULL,
  workflow_id       text NOT NULL,
  external_id       integer NOT NULL,
  doc_type          text NOT NULL,
  state             text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'completed', 'failed')),
  uploaded_at       timestamptz NOT NULL DEFAULT now(),
  last_polled_at    timestamptz,
  last_status       jsonb,
  status_changed_at timestamptz,
  processing_started_at timestamptz,
  processing_ended_at   timestamptz,
  error_detail      text,
  error_step        text,
  -- The outcome is told to the waiting execution once; a cycle that crashed before telling is caught up.
  outcome_signalled_at timestamptz,
  PRIMARY KEY (request_id, version, execution)
);
CREATE INDEX document_uploads_pending ON document_uploads (last_polled_at NULLS FIRST, uploaded_at) WHERE state = 'pending';
CREATE INDEX document_uploads_unsignalled ON document_uploads (request_id) WHERE state <> 'pending' AND outcome_signalled_at IS NULL;

-- What each poll cycle did (the metrics sum these).
CREATE TABLE document_poll_cycles (
  id          bigserial PRIMARY KEY,
  started_at  timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  polled      integer NOT NULL,
  status_calls integer NOT NULL,
  completed   integer NOT NULL,
  failed      integer NOT NULL,
  processing_timeouts integer NOT NULL,
  not_found   integer NOT NULL,
  polling_errors jsonb NOT NULL DEFAULT '{}',
  exhausted_retries integer NOT NULL
);
