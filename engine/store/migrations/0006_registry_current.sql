-- 0006: each person's newest registry row, in one place: the facts that
-- decide warnings and the lists that name the people must read the same row.
CREATE VIEW registry_current AS
SELECT * FROM registry
QUALIFY row_number() OVER (PARTITION BY id_number
                           ORDER BY _load_id DESC, status_date DESC NULLS LAST, _position DESC) = 1;
