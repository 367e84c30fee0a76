-- See migrations/postgres/0008.
CREATE TABLE solicitudes (
    id TEXT PRIMARY KEY,
    tipo VARCHAR(20) NOT NULL,
    datos TEXT NOT NULL,
    atendida BOOLEAN NOT NULL DEFAULT 0,
    atendida_en TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_solicitudes_created_at ON solicitudes (created_at);

CREATE TABLE solicitudes_envios (
    id TEXT PRIMARY KEY,
    solicitud_id TEXT NOT NULL REFERENCES solicitudes (id) ON DELETE CASCADE,
    canal VARCHAR(20) NOT NULL,
    estado VARCHAR(20) NOT NULL,
    intentos INTEGER NOT NULL DEFAULT 0,
    proximo_intento TEXT NOT NULL,
    bloqueado_hasta TEXT,
    ultimo_error TEXT,
    enviado_en TEXT,
    UNIQUE (solicitud_id, canal)
);
CREATE INDEX idx_solicitudes_envios_due ON solicitudes_envios (estado, proximo_intento);
