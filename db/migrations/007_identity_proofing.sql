-- Proofing results hold personal data: sealed (AES-256-GCM, see pii/key-ring.ts) and deleted
-- once they expire.
CREATE TABLE proofing_results (
  request_id    uuid PRIMARY KEY REFERENCES requests (id),
  result_sealed text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL
);
CREATE INDEX proofing_results_expiry ON proofing_results (expires_at);

-- Attempts per person, named by a keyed hash of the identity (never the identity itself).
CREATE TABLE proofing_attempts (
  subject_hash text NOT NULL,
  request_id   uuid NOT NULL,
  attempted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subject_hash, request_id)
);
CREATE INDEX proofing_attempts_window ON proofing_attempts (subject_hash, attempted_at);
