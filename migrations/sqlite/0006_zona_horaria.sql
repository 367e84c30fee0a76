-- See migrations/postgres/0006.
ALTER TABLE apartamentos ADD COLUMN zona_horaria VARCHAR(64);
