-- Submissions of the two public forms (access request and contact), kept
-- before they are notified, and their per-channel delivery state (the outbox).
CREATE TABLE IF NOT EXISTS solicitudes (
    id UUID PRIMARY KEY,
    -- 'acceso' (POST /api/contact) or 'contacto' (POST /api/contacto)
    tipo VARCHAR(20) NOT NULL,
    -- the form's fields as validated and sanitised; nothing else
    datos JSONB NOT NULL,
    atendida BOOLEAN NOT NULL DEFAULT FALSE,
    atendida_en TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_solicitudes_created_at ON solicitudes (created_at);

CREATE TABLE IF NOT EXISTS solicitudes_envios (
    id UUID PRIMARY KEY,
    solicitud_id UUID NOT NULL REFERENCES solicitudes (id) ON DELETE CASCADE,
    -- 'email' or 'discord'
    canal VARCHAR(20) NOT NULL,
    -- 'pendiente', 'enviado' or 'fallido' (attempts exhausted)
    estado VARCHAR(20) NOT NULL,
    intentos INTEGER NOT NULL DEFAULT 0,
    proximo_intento TIMESTAMPTZ NOT NULL,
    -- a claim: no other instance takes the row before this instant
    bloqueado_hasta TIMESTAMPTZ,
    ultimo_error TEXT,
    enviado_en TIMESTAMPTZ,
    UNIQUE (solicitud_id, canal)
);
CREATE INDEX IF NOT EXISTS idx_solicitudes_envios_due ON solicitudes_envios (estado, proximo_intento);
