-- Products an execution staged for QA (files in the staging area, described by the executor's manifest).
CREATE TABLE staged_products (
  request_id uuid NOT NULL REFERENCES requests (id),
  version    integer NOT NULL,
  execution  integer NOT NULL,
  job_id     text NOT NULL,
  name       text NOT NULL,
  size       bigint NOT NULL,
  sha256     text NOT NULL,
  path       text NOT NULL,
  staged_at  timestamptz NOT NULL DEFAULT now(),
  cleaned_at timestamptz,
  PRIMARY KEY (request_id, version, execution, name)
);

-- The archive's catalogue: what was ingested, content-addressed by SHA-256. One row per product of
-- the version that passed QA, however often ingestion runs.
CREATE TABLE archive_catalog (
  request_id   uuid NOT NULL REFERENCES requests (id),
  version      integer NOT NULL,
  name         text NOT NULL,
  sha256       text NOT NULL,
  size         bigint NOT NULL,
  archive_path text NOT NULL,
  archived_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (request_id, version, name)
);
