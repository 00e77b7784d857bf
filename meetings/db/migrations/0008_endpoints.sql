CREATE TABLE "meetings_booking_rooms" (
	"booking_id" uuid NOT NULL,
	"endpoint_id" uuid NOT NULL,
	"connect_mode" text NOT NULL,
	"private" boolean DEFAULT false NOT NULL,
	CONSTRAINT "meetings_booking_rooms_booking_id_endpoint_id_pk" PRIMARY KEY("booking_id","endpoint_id")
);
--> statement-breakpoint
CREATE TABLE "meetings_endpoint_tickets" (
	"id" serial PRIMARY KEY NOT NULL,
	"endpoint_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"detail" text NOT NULL,
	"state" text DEFAULT 'open' NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"closed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "meetings_endpoints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"address" text NOT NULL,
	"base_url" text NOT NULL,
	"host_key" text NOT NULL,
	"username" text NOT NULL,
	"password_sealed" text NOT NULL,
	"product_id" text,
	"software_version" text,
	"serial_number" text,
	"sip_uri" text,
	"webex_registered" boolean DEFAULT false NOT NULL,
	"connectivity" text DEFAULT 'reachable' NOT NULL,
	"active_calls" integer,
	"uptime_seconds" bigint,
	"last_polled_at" timestamp with time zone,
	"obtp_pushed_hash" text,
	"obtp_pushed_at" timestamp with time zone,
	"obtp_pushed_count" integer,
	"obtp_method" text,
	"obtp_last_error" text,
	"lab_codec" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "meetings_booking_rooms" ADD CONSTRAINT "meetings_booking_rooms_booking_id_meetings_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."meetings_bookings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings_booking_rooms" ADD CONSTRAINT "meetings_booking_rooms_endpoint_id_meetings_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."meetings_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings_endpoint_tickets" ADD CONSTRAINT "meetings_endpoint_tickets_endpoint_id_meetings_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "public"."meetings_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "meetings_booking_rooms_endpoint" ON "meetings_booking_rooms" USING btree ("endpoint_id");--> statement-breakpoint
CREATE INDEX "meetings_endpoint_tickets_endpoint" ON "meetings_endpoint_tickets" USING btree ("endpoint_id","state");--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_endpoints_host_key" ON "meetings_endpoints" USING btree ("host_key");--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_endpoints_lab_codec" ON "meetings_endpoints" USING btree ("lab_codec");