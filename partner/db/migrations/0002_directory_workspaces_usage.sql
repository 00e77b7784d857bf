CREATE TABLE "partner_enterprise_sync" (
	"customer_org_id" uuid PRIMARY KEY NOT NULL,
	"enable_dir_sync" boolean DEFAULT false NOT NULL,
	"sync_status" text DEFAULT 'NOT_SYNCED' NOT NULL,
	"last_sync_start_time" timestamp with time zone,
	"last_sync_end_time" timestamp with time zone,
	"last_successful_sync_time" timestamp with time zone,
	"last_sync_tracking_id" text,
	"counts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_external_users" (
	"customer_org_id" uuid NOT NULL,
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"first_name" text,
	"last_name" text,
	"extension" text,
	"number" text,
	"mobile" text,
	"synced_at" timestamp with time zone NOT NULL,
	CONSTRAINT "partner_external_users_customer_org_id_user_id_pk" PRIMARY KEY("customer_org_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "partner_usage_snapshots" (
	"day" date NOT NULL,
	"package" text NOT NULL,
	"users" integer NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "partner_usage_snapshots_day_package_pk" PRIMARY KEY("day","package")
);
--> statement-breakpoint
CREATE TABLE "partner_workspaces" (
	"id" uuid PRIMARY KEY NOT NULL,
	"customer_org_id" uuid NOT NULL,
	"provisioning_id" text NOT NULL,
	"user_id" text NOT NULL,
	"sp_enterprise_id" text NOT NULL,
	"display_name" text NOT NULL,
	"primary_phone_number" text,
	"extension" text,
	"created" timestamp with time zone NOT NULL,
	CONSTRAINT "partner_workspaces_user_id_unique" UNIQUE("user_id")
);
--> statement-breakpoint
CREATE INDEX "partner_workspaces_org_idx" ON "partner_workspaces" USING btree ("customer_org_id");