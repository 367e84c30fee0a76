-- A password handed out by user creation or an admin's reset (our addition):
-- its sessions serve only the password change. The original marked it only by
-- back-dating password_changed_at, which an old password also looks like.
ALTER TABLE usuarios ADD COLUMN IF NOT EXISTS password_temporal BOOLEAN NOT NULL DEFAULT FALSE;
