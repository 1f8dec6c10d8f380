-- 0017: the datasets of assets and employment (issue 13): vehicles,
-- real property, business registrations, social insurance and housing
-- fund contributions, public employees. Each ends with the same lineage
-- columns as the tables of 0001.

CREATE TABLE vehicles (
    plate           VARCHAR NOT NULL,
    id_number       VARCHAR NOT NULL,
    vehicle_type    VARCHAR NOT NULL,
    registered_date DATE NOT NULL,
    status          VARCHAR,
    cancelled_date  DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE property (
    cert_number     VARCHAR NOT NULL,
    id_number       VARCHAR NOT NULL,
    purpose         VARCHAR NOT NULL,
    area            DECIMAL(14,2),
    registered_date DATE NOT NULL,
    status          VARCHAR,
    cancelled_date  DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE business (
    credit_code      VARCHAR NOT NULL,
    id_number        VARCHAR NOT NULL,
    entity_type      VARCHAR NOT NULL,
    employees        BIGINT,
    status           VARCHAR NOT NULL,
    established_date DATE NOT NULL,
    cancelled_date   DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE contributions (
    id_number    VARCHAR NOT NULL,
    scheme       VARCHAR NOT NULL,
    employer     VARCHAR,
    month        DATE NOT NULL,
    base_monthly DECIMAL(14,2),
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE public_employees (
    id_number  VARCHAR NOT NULL,
    employer   VARCHAR,
    start_date DATE NOT NULL,
    end_date   DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
