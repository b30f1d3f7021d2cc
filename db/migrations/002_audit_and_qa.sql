-- Who caused each transition and what they said (reviewer comment, cancel reason).
ALTER TABLE request_transitions
  ADD COLUMN actor   text  NOT NULL DEFAULT 'capflow',
  ADD COLUMN details jsonb NOT NULL DEFAULT '{}';

-- One row per version put up for QA: announced by AnnounceQa, decided by QaPass / QaFail.
CREATE TABLE qa_reviews (
  request_id   uuid NOT NULL REFERENCES requests (id),
  version      integer NOT NULL DEFAULT 1,
  capability   text NOT NULL,
  announced_at timestamptz NOT NULL,
  decision     text CHECK (decision IN ('pass', 'fail')),
  reviewer     text,
  comment      text,
  decided_at   timestamptz,
  PRIMARY KEY (request_id, version)
);
CREATE INDEX qa_reviews_awaiting ON qa_reviews (announced_at, request_id) WHERE decision IS NULL;
