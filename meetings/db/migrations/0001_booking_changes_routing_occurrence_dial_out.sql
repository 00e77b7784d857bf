CREATE TABLE "meetings_booking_changes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"seq" bigint,
	"booking_id" uuid NOT NULL,
	"occurrence_id" uuid,
	"change" text NOT NULL,
	"actor" text NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "meetings_occurrences" ADD COLUMN "dial_out" jsonb;--> statement-breakpoint
CREATE INDEX "meetings_booking_changes_seq" ON "meetings_booking_changes" USING btree ("seq");--> statement-breakpoint
CREATE INDEX "meetings_booking_changes_unnumbered" ON "meetings_booking_changes" USING btree ("id") WHERE seq is null;