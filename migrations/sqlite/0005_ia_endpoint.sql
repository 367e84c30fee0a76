-- See migrations/postgres/0005.
ALTER TABLE configuracion_ia ADD COLUMN endpoint VARCHAR(500);
