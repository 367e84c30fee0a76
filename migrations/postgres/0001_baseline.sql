-- Baseline: the schema the original service's Alembic migrations leave at their
-- head revision g7h8i9j0k1l2 (same tables, columns, types, constraint and index
-- names). On a database the original already created, this migration is
-- recorded as applied without running (see src/store/migrate.rs).

CREATE TABLE empresas (
    id UUID NOT NULL,
    nombre VARCHAR(200) NOT NULL,
    email VARCHAR(254) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    ciudad VARCHAR(100),
    herramientas_activas JSONB NOT NULL,
    configuracion JSONB NOT NULL,
    activa BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (email)
);

CREATE TABLE usuarios (
    id UUID NOT NULL,
    empresa_id UUID NOT NULL,
    email VARCHAR(254) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    rol VARCHAR(20) NOT NULL,
    activo BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    password_changed_at TIMESTAMP WITH TIME ZONE,
    es_superadmin BOOLEAN DEFAULT false NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (empresa_id) REFERENCES empresas (id) ON DELETE CASCADE,
    UNIQUE (email)
);
CREATE INDEX ix_usuarios_empresa_id ON usuarios (empresa_id);

CREATE TABLE apartamentos (
    id UUID NOT NULL,
    empresa_id UUID NOT NULL,
    id_externo VARCHAR(100),
    nombre VARCHAR(200) NOT NULL,
    direccion VARCHAR(300),
    ciudad VARCHAR(100),
    pms_origen VARCHAR(50),
    activo BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    id_pms VARCHAR(100),
    PRIMARY KEY (id),
    FOREIGN KEY (empresa_id) REFERENCES empresas (id) ON DELETE CASCADE
);
CREATE INDEX ix_apartamentos_empresa_id ON apartamentos (empresa_id);
CREATE UNIQUE INDEX uq_apartamento_empresa_id_pms ON apartamentos (empresa_id, id_pms)
    WHERE id_pms IS NOT NULL;

CREATE TABLE plantillas_vault (
    id UUID NOT NULL,
    empresa_id UUID NOT NULL,
    nombre VARCHAR(200) NOT NULL,
    contenido TEXT NOT NULL,
    idioma VARCHAR(10) NOT NULL,
    categoria VARCHAR(50),
    activa BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (empresa_id) REFERENCES empresas (id) ON DELETE CASCADE
);
CREATE INDEX ix_plantillas_vault_empresa_id ON plantillas_vault (empresa_id);

CREATE TABLE mensajes_generados (
    id UUID NOT NULL,
    empresa_id UUID NOT NULL,
    plantilla_id UUID,
    contenido_final TEXT NOT NULL,
    modelo_ia VARCHAR(100),
    metadatos JSONB,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (empresa_id) REFERENCES empresas (id) ON DELETE CASCADE,
    FOREIGN KEY (plantilla_id) REFERENCES plantillas_vault (id) ON DELETE SET NULL
);
CREATE INDEX ix_mensajes_generados_empresa_id ON mensajes_generados (empresa_id);

CREATE TABLE configuracion_pms (
    id UUID NOT NULL,
    empresa_id UUID NOT NULL,
    proveedor VARCHAR(50) NOT NULL,
    api_key_cifrada TEXT,
    endpoint VARCHAR(500),
    activo BOOLEAN NOT NULL,
    ultimo_sync TIMESTAMP WITH TIME ZONE,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (empresa_id) REFERENCES empresas (id) ON DELETE CASCADE,
    UNIQUE (empresa_id)
);

CREATE TABLE integraciones_google (
    id UUID NOT NULL,
    empresa_id UUID NOT NULL,
    access_token_cifrado TEXT,
    refresh_token_cifrado TEXT NOT NULL,
    token_expiry TIMESTAMP WITH TIME ZONE,
    alcance TEXT NOT NULL,
    activo BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (empresa_id) REFERENCES empresas (id) ON DELETE CASCADE,
    UNIQUE (empresa_id)
);

CREATE TABLE configuracion_ia (
    id UUID NOT NULL,
    empresa_id UUID NOT NULL,
    proveedor VARCHAR(50) NOT NULL,
    api_key_cifrada TEXT,
    modelo VARCHAR(100),
    activo BOOLEAN NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (empresa_id) REFERENCES empresas (id) ON DELETE CASCADE,
    UNIQUE (empresa_id)
);

CREATE TABLE logs_sincronizacion (
    id UUID NOT NULL,
    empresa_id UUID NOT NULL,
    origen VARCHAR(50) NOT NULL,
    estado VARCHAR(20) NOT NULL,
    num_registros INTEGER,
    detalle TEXT,
    created_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY (empresa_id) REFERENCES empresas (id) ON DELETE CASCADE,
    CONSTRAINT logs_sincronizacion_origen_check
        CHECK (origen IN ('pms', 'google_contacts', 'xlsx', 'heatmap_pms'))
);
CREATE INDEX ix_logs_sincronizacion_empresa_id ON logs_sincronizacion (empresa_id);
CREATE INDEX ix_logs_sincronizacion_created_at ON logs_sincronizacion (created_at);

CREATE TABLE ai_usage_log (
    id UUID NOT NULL,
    empresa_id UUID NOT NULL,
    accion VARCHAR(20) NOT NULL,
    fecha DATE NOT NULL,
    tokens_usados INTEGER,
    PRIMARY KEY (id),
    FOREIGN KEY (empresa_id) REFERENCES empresas (id) ON DELETE CASCADE
);
CREATE INDEX ix_ai_usage_log_empresa_id_fecha ON ai_usage_log (empresa_id, fecha);

CREATE TABLE system_prompts (
    nombre VARCHAR(100) NOT NULL,
    contenido TEXT NOT NULL,
    updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (nombre)
);

-- Stamped at the original's head so the original service could still run
-- against a database this service created (its `flask db upgrade` is a no-op).
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('g7h8i9j0k1l2');
