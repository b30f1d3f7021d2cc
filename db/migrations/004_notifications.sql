-- Callback events for the submitter (SendMessage): one per transition and message, however
-- often the activity runs.
CREATE TABLE webhook_deliveries (
  request_id   uuid NOT NULL REFERENCES requests (id),
  seq          integer NOT NULL,
  message      text NOT NULL,
  url          text NOT NULL,
  body         jsonb NOT NULL,
  attempts     integer NOT NULL DEFAULT 0,
  last_status  integer,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  PRIMARY KEY (request_id, seq, message)
);

-- The e-mail outbox (SendNotification, QA announcements): one row per transition, template and
-- recipient, so a retried activity never sends twice.
CREATE TABLE notifications (
  request_id uuid NOT NULL REFERENCES requests (id),
  seq        integer NOT NULL,
  template   text NOT NULL,
  recipient  text NOT NULL,
  subject    text NOT NULL,
  body       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at    timestamptz,
  last_error text,
  PRIMARY KEY (request_id, seq, template, recipient)
);
