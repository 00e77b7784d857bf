-- A cluster's assign / unassign / reassign job names the cluster as its entity (#15): HCM-F's JobDTO said "Smart Account" for every job, which sent people to the wrong place.
UPDATE "licensing_operations" SET "entity_type" = 'Cluster' WHERE "operation" <> 'sync';
