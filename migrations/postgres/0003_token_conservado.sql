-- SHA-256 (hex) of the one token that survives a self-service password
-- change although it was issued before `tokens_validos_desde`: the session
-- that made the change keeps working, every other one ends.
ALTER TABLE usuarios ADD COLUMN IF NOT EXISTS token_conservado VARCHAR(64);
