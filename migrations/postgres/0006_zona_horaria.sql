-- An apartment's own IANA time zone (late check-ins); NULL: the company's.
ALTER TABLE apartamentos ADD COLUMN IF NOT EXISTS zona_horaria VARCHAR(64);
