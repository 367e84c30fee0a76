-- A company's own OpenAI-compatible server (provider `openai_compatible`):
-- its base URL, held to the same public-address rule as PMS endpoints.
ALTER TABLE configuracion_ia ADD COLUMN IF NOT EXISTS endpoint VARCHAR(500);
