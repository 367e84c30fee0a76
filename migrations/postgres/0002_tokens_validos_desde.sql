-- Tokens of a user issued (iat) before this instant are refused: set on a
-- self-service password change (to the changing token's iat) and on an
-- admin's reset (to now). NULL: every token signed for the user counts.
ALTER TABLE usuarios ADD COLUMN IF NOT EXISTS tokens_validos_desde TIMESTAMP WITH TIME ZONE;
