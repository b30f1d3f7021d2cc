-- Escalations repeat while a request waits on past its QA deadline: one outbox row per occurrence.
ALTER TABLE notifications ADD COLUMN occurrence integer NOT NULL DEFAULT 0;
ALTER TABLE notifications DROP CONSTRAINT notifications_pkey;
ALTER TABLE notifications ADD PRIMARY KEY (request_id, seq, template, recipient, occurrence);
