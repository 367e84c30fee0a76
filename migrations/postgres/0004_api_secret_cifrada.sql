-- Smoobu signs requests with a key and a secret since 2026-09-25; the secret
-- is kept Fernet-encrypted beside the key.
ALTER TABLE configuracion_pms ADD COLUMN IF NOT EXISTS api_secret_cifrada TEXT;
