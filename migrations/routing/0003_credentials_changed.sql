-- Sessions signed in before an account's password was (re)set are ended: the console compares a
-- session's sign-in time with this.
ALTER TABLE console.staff
    ADD COLUMN credentials_changed_at TIMESTAMPTZ NOT NULL DEFAULT now();
