CREATE TABLE "meetings_calls" (
	"id" uuid PRIMARY KEY NOT NULL,
	"occurrence_id" uuid NOT NULL,
	"bridge_id" uuid NOT NULL,
	"node_id" uuid NOT NULL,
	"co_space_id" text NOT NULL,
	"call_id" text,
	"state" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "meetings_occurrences" ADD COLUMN "start_ticket_id" integer;--> statement-breakpoint
CREATE INDEX "meetings_calls_occurrence" ON "meetings_calls" USING btree ("occurrence_id");--> statement-breakpoint
CREATE INDEX "meetings_calls_bridge_state" ON "meetings_calls" USING btree ("bridge_id","state");