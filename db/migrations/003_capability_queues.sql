-- Operator-controlled settings per capability; a row appears the first time a capability is
-- used, with the definition's defaults.
CREATE TABLE capability_settings (
  capability     text PRIMARY KEY,
  max_concurrent integer NOT NULL CHECK (max_concurrent > 0),
  enabled        boolean NOT NULL DEFAULT true,
  paused         boolean NOT NULL DEFAULT false,
  updated_at     timestamptz NOT NULL DEFAULT now(),
  updated_by     text
);

-- The queue: one row per slot holder (a request's execution), first in, first out by the time
-- the request was submitted (then by `seq`, the order of joining).
-- Waiting: granted_at IS NULL. Running: granted and not released.
CREATE TABLE capability_slots (
  holder      text PRIMARY KEY,
  capability  text NOT NULL,
  request_id  uuid NOT NULL,
  workflow_id text NOT NULL,
  seq         bigserial NOT NULL,
  queued_since timestamptz NOT NULL,
  enqueued_at timestamptz NOT NULL DEFAULT now(),
  granted_at  timestamptz,
  released_at timestamptz
);
CREATE INDEX capability_slots_waiting ON capability_slots (capability, queued_since, seq) WHERE granted_at IS NULL AND released_at IS NULL;
CREATE INDEX capability_slots_running ON capability_slots (capability) WHERE granted_at IS NOT NULL AND released_at IS NULL;
