ALTER TABLE "meetings_bridges" ADD COLUMN "lab_cluster" text;--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_bridges_lab_cluster" ON "meetings_bridges" USING btree ("lab_cluster");