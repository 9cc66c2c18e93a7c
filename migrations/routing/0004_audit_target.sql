-- A tenant page lists the access audit of its tenant (target = 'org:{id}').
CREATE INDEX IF NOT EXISTS audit_events_target ON console.audit_events (target, id DESC);
