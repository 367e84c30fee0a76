-- See migrations/postgres/0002: tokens issued before this instant are refused.
ALTER TABLE usuarios ADD COLUMN tokens_validos_desde TEXT;
