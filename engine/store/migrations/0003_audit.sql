-- 0003: who viewed or exported what (Personal Information Protection Law):
-- every list written, every returned list read, every case or person shown.

CREATE TABLE audit (
    at_time TIMESTAMP NOT NULL,
    actor   VARCHAR NOT NULL,   -- OS user@host, or the scheduler
    action  VARCHAR NOT NULL,   -- dispatch | feedback_import | cases_show | cases_list | rules_explain
    subject VARCHAR,            -- case id, ID number, list folder
    detail  VARCHAR             -- JSON: files, counts, whether ID numbers were shown in full
);
