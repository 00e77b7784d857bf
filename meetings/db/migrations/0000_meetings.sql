CREATE TABLE "meetings_bookings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bridge_id" uuid NOT NULL,
	"title" text NOT NULL,
	"organizer" text NOT NULL,
	"passcode_sealed" text,
	"time_zone" text NOT NULL,
	"start_at" timestamp with time zone NOT NULL,
	"end_at" timestamp with time zone NOT NULL,
	"early_join_minutes" integer DEFAULT 0 NOT NULL,
	"recurrence" text,
	"dial_out" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"dial_in" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"state" text DEFAULT 'booked' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings_cdr_records" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bridge_id" uuid NOT NULL,
	"occurrence_id" uuid,
	"type" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"call_id" text,
	"call_leg_id" text,
	"remote_party" text,
	"reason" text
);
--> statement-breakpoint
CREATE TABLE "meetings_legs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"occurrence_id" uuid NOT NULL,
	"remote_party" text NOT NULL,
	"call_leg_id" text,
	"outcome" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"reason" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings_occurrences" (
	"id" uuid PRIMARY KEY NOT NULL,
	"booking_id" uuid NOT NULL,
	"bridge_id" uuid NOT NULL,
	"start_at" timestamp with time zone NOT NULL,
	"end_at" timestamp with time zone NOT NULL,
	"hold_from" timestamp with time zone NOT NULL,
	"state" text DEFAULT 'scheduled' NOT NULL,
	"slot" integer,
	"co_space_id" text,
	"node_id" uuid,
	"call_id" text,
	"started_at" timestamp with time zone,
	"ended_at" timestamp with time zone,
	"failovers" integer DEFAULT 0 NOT NULL,
	"error" text,
	"warned" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"edited" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings_api_trace" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"bridge_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"node" text NOT NULL,
	"method" text NOT NULL,
	"path" text NOT NULL,
	"request_body" text,
	"status" integer,
	"size" integer DEFAULT 0 NOT NULL,
	"location" text,
	"response_body" text,
	"duration_ms" integer NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "meetings_bridge_nodes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bridge_id" uuid NOT NULL,
	"call_bridge_id" text NOT NULL,
	"name" text NOT NULL,
	"address" text NOT NULL,
	"host_key" text NOT NULL,
	"is_primary" boolean DEFAULT false NOT NULL,
	"healthy" boolean DEFAULT true NOT NULL,
	"last_error" text,
	"cdr_receiver_id" text
);
--> statement-breakpoint
CREATE TABLE "meetings_bridges" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"address" text NOT NULL,
	"base_url" text NOT NULL,
	"username" text NOT NULL,
	"password_sealed" text NOT NULL,
	"system_type" text DEFAULT 'Cisco Meeting Server' NOT NULL,
	"ip_zone" text,
	"time_zone" text DEFAULT 'UTC' NOT NULL,
	"usage_type" text DEFAULT 'Meeting Room' NOT NULL,
	"software_version" text,
	"cluster_enabled" boolean DEFAULT false NOT NULL,
	"connectivity" text DEFAULT 'reachable' NOT NULL,
	"uptime_seconds" bigint,
	"call_legs_active" integer,
	"call_legs_max_active" integer,
	"call_legs_completed" integer,
	"audio_bit_rate_outgoing" bigint,
	"audio_bit_rate_incoming" bigint,
	"video_bit_rate_outgoing" bigint,
	"video_bit_rate_incoming" bigint,
	"last_polled_at" timestamp with time zone,
	"sip_domain" text,
	"numeric_id_base" bigint,
	"numeric_id_quantity" integer,
	"alternate_address" text,
	"alternate_username" text,
	"alternate_password_sealed" text,
	"sip_mode" boolean DEFAULT true NOT NULL,
	"allow_booking" boolean DEFAULT true NOT NULL,
	"allow_incoming_sip" boolean DEFAULT true NOT NULL,
	"allow_outgoing_sip" boolean DEFAULT true NOT NULL,
	"web_bridge_uri" text,
	"end_warning_minutes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"call_profile_id" text,
	"call_leg_profile_id" text,
	"space_name_prefix" text DEFAULT 'TMS_Scheduled_Meeting_' NOT NULL,
	"bulk_parameter_set_id" text,
	"pool_state" text DEFAULT 'none' NOT NULL,
	"pool_size" integer DEFAULT 0 NOT NULL,
	"cdr_token" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings_pool_slots" (
	"bridge_id" uuid NOT NULL,
	"slot" integer NOT NULL,
	"co_space_id" text NOT NULL,
	"uri" text NOT NULL,
	"call_id" text NOT NULL,
	"occurrence_id" uuid,
	CONSTRAINT "meetings_pool_slots_bridge_id_slot_pk" PRIMARY KEY("bridge_id","slot")
);
--> statement-breakpoint
CREATE TABLE "meetings_tickets" (
	"id" serial PRIMARY KEY NOT NULL,
	"bridge_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"detail" text NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "meetings_bookings" ADD CONSTRAINT "meetings_bookings_bridge_id_meetings_bridges_id_fk" FOREIGN KEY ("bridge_id") REFERENCES "public"."meetings_bridges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings_legs" ADD CONSTRAINT "meetings_legs_occurrence_id_meetings_occurrences_id_fk" FOREIGN KEY ("occurrence_id") REFERENCES "public"."meetings_occurrences"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings_occurrences" ADD CONSTRAINT "meetings_occurrences_booking_id_meetings_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."meetings_bookings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings_occurrences" ADD CONSTRAINT "meetings_occurrences_bridge_id_meetings_bridges_id_fk" FOREIGN KEY ("bridge_id") REFERENCES "public"."meetings_bridges"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings_bridge_nodes" ADD CONSTRAINT "meetings_bridge_nodes_bridge_id_meetings_bridges_id_fk" FOREIGN KEY ("bridge_id") REFERENCES "public"."meetings_bridges"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings_pool_slots" ADD CONSTRAINT "meetings_pool_slots_bridge_id_meetings_bridges_id_fk" FOREIGN KEY ("bridge_id") REFERENCES "public"."meetings_bridges"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings_tickets" ADD CONSTRAINT "meetings_tickets_bridge_id_meetings_bridges_id_fk" FOREIGN KEY ("bridge_id") REFERENCES "public"."meetings_bridges"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "meetings_bookings_bridge" ON "meetings_bookings" USING btree ("bridge_id","start_at");--> statement-breakpoint
CREATE INDEX "meetings_cdr_occurrence" ON "meetings_cdr_records" USING btree ("occurrence_id","at");--> statement-breakpoint
CREATE INDEX "meetings_legs_occurrence" ON "meetings_legs" USING btree ("occurrence_id");--> statement-breakpoint
CREATE INDEX "meetings_occurrences_bridge_time" ON "meetings_occurrences" USING btree ("bridge_id","hold_from","end_at");--> statement-breakpoint
CREATE INDEX "meetings_occurrences_state" ON "meetings_occurrences" USING btree ("state","hold_from");--> statement-breakpoint
CREATE INDEX "meetings_occurrences_booking" ON "meetings_occurrences" USING btree ("booking_id","start_at");--> statement-breakpoint
CREATE INDEX "meetings_api_trace_bridge_at" ON "meetings_api_trace" USING btree ("bridge_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_bridge_nodes_host_key" ON "meetings_bridge_nodes" USING btree ("host_key");--> statement-breakpoint
CREATE INDEX "meetings_bridge_nodes_bridge" ON "meetings_bridge_nodes" USING btree ("bridge_id");--> statement-breakpoint
CREATE INDEX "meetings_tickets_bridge" ON "meetings_tickets" USING btree ("bridge_id","state");