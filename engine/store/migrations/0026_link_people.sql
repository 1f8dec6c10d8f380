-- 0026: link_people_state says which registry the table link_people (made
-- and kept by store.RefreshLinkPeople, see engine/store/link_people.go)
-- holds: the registry's newest load and row count then, and the version of
-- the table's definition (a hash of its SQL). link_people is the
-- registry's current people with the identity-resolution pass's blocking
-- keys, brought up to date only for the people new or changed: at a
-- million people, computing everyone's keys cost 1.5-2 s of every pass
-- that read the registry (issue 15). The table itself is made by the code
-- that defines it, so that a change of the keys rebuilds it.
CREATE TABLE link_people_state (version BIGINT NOT NULL, registry_load_id BIGINT NOT NULL, registry_rows BIGINT NOT NULL);
