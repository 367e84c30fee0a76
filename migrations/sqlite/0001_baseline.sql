-- SQLite mirror of the original PostgreSQL schema (migrations/postgres/0001).
-- UUIDs are hyphenated TEXT, JSON is TEXT, timestamps are RFC 3339 TEXT in UTC.

CREATE TABLE empresas (
    id TEXT NOT NULL PRIMARY KEY,
    nombre VARCHAR(200) NOT NULL,
    email VARCHAR(254) NOT NULL UNIQUE,
    password_hash VARCHAR(255) NOT NULL,
    ciudad VARCHAR(100),
    herramientas_activas TEXT NOT NULL DEFAULT '{}',
    configuracion TEXT NOT NULL DEFAULT '{}',
    activa BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE usuarios (
    id TEXT NOT NULL PRIMARY KEY,
    empresa_id TEXT NOT NULL REFERENCES empresas (id) ON DELETE CASCADE,
    email VARCHAR(254) NOT NULL UNIQUE,
    password_hash VARCHAR(255) NOT NULL,
    rol VARCHAR(20) NOT NULL,
    activo BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    password_changed_at TEXT,
    es_superadmin BOOLEAN NOT NULL DEFAULT 0
);
CREATE INDEX ix_usuarios_empresa_id ON usuarios (empresa_id);

CREATE TABLE apartamentos (
    id TEXT NOT NULL PRIMARY KEY,
    empresa_id TEXT NOT NULL REFERENCES empresas (id) ON DELETE CASCADE,
    id_externo VARCHAR(100),
    nombre VARCHAR(200) NOT NULL,
    direccion VARCHAR(300),
    ciudad VARCHAR(100),
    pms_origen VARCHAR(50),
    activo BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    id_pms VARCHAR(100)
);
CREATE INDEX ix_apartamentos_empresa_id ON apartamentos (empresa_id);
CREATE UNIQUE INDEX uq_apartamento_empresa_id_pms ON apartamentos (empresa_id, id_pms)
    WHERE id_pms IS NOT NULL;

CREATE TABLE plantillas_vault (
    id TEXT NOT NULL PRIMARY KEY,
    empresa_id TEXT NOT NULL REFERENCES empresas (id) ON DELETE CASCADE,
    nombre VARCHAR(200) NOT NULL,
    contenido TEXT NOT NULL,
    idioma VARCHAR(10) NOT NULL,
    categoria VARCHAR(50),
    activa BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX ix_plantillas_vault_empresa_id ON plantillas_vault (empresa_id);

CREATE TABLE mensajes_generados (
    id TEXT NOT NULL PRIMARY KEY,
    empresa_id TEXT NOT NULL REFERENCES empresas (id) ON DELETE CASCADE,
    plantilla_id TEXT REFERENCES plantillas_vault (id) ON DELETE SET NULL,
    contenido_final TEXT NOT NULL,
    modelo_ia VARCHAR(100),
    metadatos TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_mensajes_generados_empresa_id ON mensajes_generados (empresa_id);

CREATE TABLE configuracion_pms (
    id TEXT NOT NULL PRIMARY KEY,
    empresa_id TEXT NOT NULL UNIQUE REFERENCES empresas (id) ON DELETE CASCADE,
    proveedor VARCHAR(50) NOT NULL,
    api_key_cifrada TEXT,
    endpoint VARCHAR(500),
    activo BOOLEAN NOT NULL,
    ultimo_sync TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE integraciones_google (
    id TEXT NOT NULL PRIMARY KEY,
    empresa_id TEXT NOT NULL UNIQUE REFERENCES empresas (id) ON DELETE CASCADE,
    access_token_cifrado TEXT,
    refresh_token_cifrado TEXT NOT NULL,
    token_expiry TEXT,
    alcance TEXT NOT NULL,
    activo BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE configuracion_ia (
    id TEXT NOT NULL PRIMARY KEY,
    empresa_id TEXT NOT NULL UNIQUE REFERENCES empresas (id) ON DELETE CASCADE,
    proveedor VARCHAR(50) NOT NULL,
    api_key_cifrada TEXT,
    modelo VARCHAR(100),
    activo BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE logs_sincronizacion (
    id TEXT NOT NULL PRIMARY KEY,
    empresa_id TEXT NOT NULL REFERENCES empresas (id) ON DELETE CASCADE,
    origen VARCHAR(50) NOT NULL
        CHECK (origen IN ('pms', 'google_contacts', 'xlsx', 'heatmap_pms')),
    estado VARCHAR(20) NOT NULL,
    num_registros INTEGER,
    detalle TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ix_logs_sincronizacion_empresa_id ON logs_sincronizacion (empresa_id);
CREATE INDEX ix_logs_sincronizacion_created_at ON logs_sincronizacion (created_at);

CREATE TABLE ai_usage_log (
    id TEXT NOT NULL PRIMARY KEY,
    empresa_id TEXT NOT NULL REFERENCES empresas (id) ON DELETE CASCADE,
    accion VARCHAR(20) NOT NULL,
    fecha TEXT NOT NULL,
    tokens_usados INTEGER
);
CREATE INDEX ix_ai_usage_log_empresa_id_fecha ON ai_usage_log (empresa_id, fecha);

CREATE TABLE system_prompts (
    nombre VARCHAR(100) NOT NULL PRIMARY KEY,
    contenido TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
