-- 0018: the datasets of rigid spending and recusal (issue 13): students
-- and their fees, rehabilitation services, and the relatives declared by
-- assistance staff and village cadres. Each ends with the same lineage
-- columns as the tables of 0001.

CREATE TABLE students (
    id_number     VARCHAR NOT NULL,
    school        VARCHAR,
    level         VARCHAR NOT NULL,
    enrolled_date DATE NOT NULL,
    left_date     DATE,
    fees_yearly   DECIMAL(14,2),
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE rehabilitation (
    id_number    VARCHAR NOT NULL,
    service_date DATE NOT NULL,
    item         VARCHAR,
    total_cost   DECIMAL(14,2),
    self_paid    DECIMAL(14,2) NOT NULL,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);

CREATE TABLE staff_relatives (
    id_number       VARCHAR NOT NULL,
    staff_id_number VARCHAR NOT NULL,
    staff_role      VARCHAR NOT NULL,
    staff_unit_code VARCHAR NOT NULL,
    relation        VARCHAR,
    registered_date DATE,
    ended_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
