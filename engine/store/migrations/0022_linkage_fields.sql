-- 0022: identity resolution (issue 15), part A. The department datasets of
-- people (all but registry, households and staff_relatives) gain the person
-- fields their files carry beside the ID number — name, gender, birth_date,
-- optional, NULL where a source lacks the column — for the linker to compare
-- with the registry. Their rows whose ID number is unusable but which carry
-- a name are kept with id_number '?' || the ID text (身份证号无法使用，待身份识别)
-- instead of being quarantined: loads counts them in rows_unresolved.
--
-- Each table is rebuilt so that it still ends with the lineage columns, as
-- every canonical table does (0001): a new table of the new shape, the rows
-- copied by name, the old one dropped, the new one renamed. No view or index
-- depends on these tables (registry_current reads the registry alone).

CREATE TABLE assistance_0022 (
    id_number      VARCHAR NOT NULL,
    household_id   VARCHAR,
    category       VARCHAR NOT NULL,
    start_date     DATE NOT NULL,
    end_date       DATE,
    amount_monthly DECIMAL(14,2),
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO assistance_0022 (id_number, household_id, category, start_date, end_date, amount_monthly, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT id_number, household_id, category, start_date, end_date, amount_monthly, _key, _source, _load_id, _loaded_at, _stream, _position FROM assistance;
DROP TABLE assistance;
ALTER TABLE assistance_0022 RENAME TO assistance;

CREATE TABLE medical_0022 (
    claim_id              VARCHAR NOT NULL,
    id_number             VARCHAR NOT NULL,
    settle_date           DATE NOT NULL,
    hospital              VARCHAR,
    total_cost            DECIMAL(14,2) NOT NULL,
    fund_paid             DECIMAL(14,2),
    critical_illness_paid DECIMAL(14,2),
    assistance_paid       DECIMAL(14,2),
    out_of_pocket         DECIMAL(14,2) NOT NULL,
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO medical_0022 (claim_id, id_number, settle_date, hospital, total_cost, fund_paid, critical_illness_paid, assistance_paid, out_of_pocket, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT claim_id, id_number, settle_date, hospital, total_cost, fund_paid, critical_illness_paid, assistance_paid, out_of_pocket, _key, _source, _load_id, _loaded_at, _stream, _position FROM medical;
DROP TABLE medical;
ALTER TABLE medical_0022 RENAME TO medical;

CREATE TABLE disability_0022 (
    id_number   VARCHAR NOT NULL,
    cert_number VARCHAR,
    category    VARCHAR NOT NULL,
    level       VARCHAR NOT NULL,
    issued_date DATE NOT NULL,
    status      VARCHAR,
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO disability_0022 (id_number, cert_number, category, level, issued_date, status, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT id_number, cert_number, category, level, issued_date, status, _key, _source, _load_id, _loaded_at, _stream, _position FROM disability;
DROP TABLE disability;
ALTER TABLE disability_0022 RENAME TO disability;

CREATE TABLE employment_0022 (
    id_number  VARCHAR NOT NULL,
    event      VARCHAR NOT NULL,
    event_date DATE NOT NULL,
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO employment_0022 (id_number, event, event_date, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT id_number, event, event_date, _key, _source, _load_id, _loaded_at, _stream, _position FROM employment;
DROP TABLE employment;
ALTER TABLE employment_0022 RENAME TO employment;

CREATE TABLE fishers_0022 (
    id_number       VARCHAR NOT NULL,
    household_id    VARCHAR,
    boat_cert       VARCHAR,
    retired_date    DATE NOT NULL,
    resettlement    VARCHAR NOT NULL,
    pension_insured BOOLEAN,
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO fishers_0022 (id_number, household_id, boat_cert, retired_date, resettlement, pension_insured, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT id_number, household_id, boat_cert, retired_date, resettlement, pension_insured, _key, _source, _load_id, _loaded_at, _stream, _position FROM fishers;
DROP TABLE fishers;
ALTER TABLE fishers_0022 RENAME TO fishers;

CREATE TABLE vehicles_0022 (
    plate           VARCHAR NOT NULL,
    id_number       VARCHAR NOT NULL,
    vehicle_type    VARCHAR NOT NULL,
    registered_date DATE NOT NULL,
    status          VARCHAR,
    cancelled_date  DATE,
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO vehicles_0022 (plate, id_number, vehicle_type, registered_date, status, cancelled_date, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT plate, id_number, vehicle_type, registered_date, status, cancelled_date, _key, _source, _load_id, _loaded_at, _stream, _position FROM vehicles;
DROP TABLE vehicles;
ALTER TABLE vehicles_0022 RENAME TO vehicles;

CREATE TABLE property_0022 (
    cert_number     VARCHAR NOT NULL,
    id_number       VARCHAR NOT NULL,
    purpose         VARCHAR NOT NULL,
    area            DECIMAL(14,2),
    registered_date DATE NOT NULL,
    status          VARCHAR,
    cancelled_date  DATE,
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO property_0022 (cert_number, id_number, purpose, area, registered_date, status, cancelled_date, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT cert_number, id_number, purpose, area, registered_date, status, cancelled_date, _key, _source, _load_id, _loaded_at, _stream, _position FROM property;
DROP TABLE property;
ALTER TABLE property_0022 RENAME TO property;

CREATE TABLE business_0022 (
    credit_code      VARCHAR NOT NULL,
    id_number        VARCHAR NOT NULL,
    entity_type      VARCHAR NOT NULL,
    employees        BIGINT,
    status           VARCHAR NOT NULL,
    established_date DATE NOT NULL,
    cancelled_date   DATE,
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO business_0022 (credit_code, id_number, entity_type, employees, status, established_date, cancelled_date, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT credit_code, id_number, entity_type, employees, status, established_date, cancelled_date, _key, _source, _load_id, _loaded_at, _stream, _position FROM business;
DROP TABLE business;
ALTER TABLE business_0022 RENAME TO business;

CREATE TABLE contributions_0022 (
    id_number    VARCHAR NOT NULL,
    scheme       VARCHAR NOT NULL,
    employer     VARCHAR,
    month        DATE NOT NULL,
    base_monthly DECIMAL(14,2),
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO contributions_0022 (id_number, scheme, employer, month, base_monthly, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT id_number, scheme, employer, month, base_monthly, _key, _source, _load_id, _loaded_at, _stream, _position FROM contributions;
DROP TABLE contributions;
ALTER TABLE contributions_0022 RENAME TO contributions;

CREATE TABLE public_employees_0022 (
    id_number  VARCHAR NOT NULL,
    employer   VARCHAR,
    start_date DATE NOT NULL,
    end_date   DATE,
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO public_employees_0022 (id_number, employer, start_date, end_date, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT id_number, employer, start_date, end_date, _key, _source, _load_id, _loaded_at, _stream, _position FROM public_employees;
DROP TABLE public_employees;
ALTER TABLE public_employees_0022 RENAME TO public_employees;

CREATE TABLE students_0022 (
    id_number     VARCHAR NOT NULL,
    school        VARCHAR,
    level         VARCHAR NOT NULL,
    enrolled_date DATE NOT NULL,
    left_date     DATE,
    fees_yearly   DECIMAL(14,2),
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO students_0022 (id_number, school, level, enrolled_date, left_date, fees_yearly, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT id_number, school, level, enrolled_date, left_date, fees_yearly, _key, _source, _load_id, _loaded_at, _stream, _position FROM students;
DROP TABLE students;
ALTER TABLE students_0022 RENAME TO students;

CREATE TABLE rehabilitation_0022 (
    id_number    VARCHAR NOT NULL,
    service_date DATE NOT NULL,
    item         VARCHAR,
    total_cost   DECIMAL(14,2),
    self_paid    DECIMAL(14,2) NOT NULL,
    name            VARCHAR,
    gender          VARCHAR,
    birth_date      DATE,
    _key VARCHAR NOT NULL, _source VARCHAR NOT NULL, _load_id BIGINT NOT NULL,
    _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL
);
INSERT INTO rehabilitation_0022 (id_number, service_date, item, total_cost, self_paid, _key, _source, _load_id, _loaded_at, _stream, _position)
    SELECT id_number, service_date, item, total_cost, self_paid, _key, _source, _load_id, _loaded_at, _stream, _position FROM rehabilitation;
DROP TABLE rehabilitation;
ALTER TABLE rehabilitation_0022 RENAME TO rehabilitation;

-- Rows of a load kept unresolved (counted in rows_loaded or rows_duplicate
-- as any loaded row): what the stream holds that joins no person yet.
ALTER TABLE loads ADD COLUMN rows_unresolved BIGINT DEFAULT 0;
