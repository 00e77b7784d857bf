CREATE SEQUENCE "public"."meetings_conference_ids" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1000 CACHE 1;--> statement-breakpoint
ALTER TABLE "meetings_bookings" ADD COLUMN "conference_id" integer DEFAULT nextval('meetings_conference_ids') NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings_bookings" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings_bookings" ADD COLUMN "external_source_id" text;--> statement-breakpoint
ALTER TABLE "meetings_bookings" ADD COLUMN "external_primary_key" text;--> statement-breakpoint
ALTER TABLE "meetings_occurrences" ADD COLUMN "conference_id" integer DEFAULT nextval('meetings_conference_ids') NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings_occurrences" ADD COLUMN "recurrence_id_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "meetings_bridges" ADD COLUMN "system_id" integer DEFAULT nextval('meetings_conference_ids') NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_bookings_conference_id" ON "meetings_bookings" USING btree ("conference_id");--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_bookings_external_id" ON "meetings_bookings" USING btree ("external_source_id","external_primary_key");--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_occurrences_conference_id" ON "meetings_occurrences" USING btree ("conference_id");--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_bridges_system_id" ON "meetings_bridges" USING btree ("system_id");