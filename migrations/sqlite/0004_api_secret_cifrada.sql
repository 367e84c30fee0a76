-- See migrations/postgres/0004.
ALTER TABLE configuracion_pms ADD COLUMN api_secret_cifrada TEXT;
