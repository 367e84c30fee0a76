-- See migrations/postgres/0003.
ALTER TABLE usuarios ADD COLUMN token_conservado VARCHAR(64);
