CREATE TABLE "partner_billing_customers" (
	"sp_enterprise_id" text PRIMARY KEY NOT NULL,
	"billing_id" text,
	"internal_trial" boolean DEFAULT false NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_billing_report_chunks" (
	"report_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "partner_billing_report_chunks_report_id_seq_pk" PRIMARY KEY("report_id","seq")
);
--> statement-breakpoint
CREATE TABLE "partner_billing_reports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"billing_period" text NOT NULL,
	"status" text NOT NULL,
	"job_id" uuid,
	"created" timestamp with time zone NOT NULL,
	"created_by_id" text,
	"created_by_name" text NOT NULL,
	"completed_at" timestamp with time zone,
	"record_count" integer,
	"byte_size" bigint,
	"summary" jsonb,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "partner_billing_reports_billing_period_unique" UNIQUE("billing_period")
);
--> statement-breakpoint
CREATE TABLE "partner_billing_settings" (
	"id" text PRIMARY KEY NOT NULL,
	"reseller_name" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "partner_billing_report_chunks" ADD CONSTRAINT "partner_billing_report_chunks_report_id_partner_billing_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."partner_billing_reports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "partner_billing_reports_created_idx" ON "partner_billing_reports" USING btree ("created");