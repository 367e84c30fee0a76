-- See migrations/postgres/0009.
ALTER TABLE usuarios ADD COLUMN password_temporal BOOLEAN NOT NULL DEFAULT FALSE;
