CREATE TABLE "licensing_operations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"operation" text NOT NULL,
	"entity_type" text NOT NULL,
	"entity_name" text NOT NULL,
	"cluster_id" uuid,
	"smart_account_id" uuid,
	"virtual_account_id" uuid,
	"target_virtual_account_id" uuid,
	"description" text NOT NULL,
	"status" text NOT NULL,
	"progress_info" jsonb NOT NULL,
	"error_code" text,
	"error_description" text,
	"recommended_action" text,
	"created_by" text,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "licensing_smart_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"domain" text NOT NULL,
	"name" text,
	"client_id" text NOT NULL,
	"client_secret" text NOT NULL,
	"transport_mode" text DEFAULT 'direct' NOT NULL,
	"proxy_host" text,
	"proxy_port" integer,
	"proxy_username" text,
	"proxy_password" text,
	"satellite_host" text,
	"satellite_port" integer,
	"satellite_registration_url" text,
	"satellite_token_url" text,
	"auth_gateway_url" text NOT NULL,
	"cssm_server_url" text NOT NULL,
	"device_registration_url" text NOT NULL,
	"sync_interval_hours" integer DEFAULT 24 NOT NULL,
	"status" text DEFAULT 'never-synced' NOT NULL,
	"virtual_account_count" integer DEFAULT 0 NOT NULL,
	"satellite_virtual_account_count" integer DEFAULT 0 NOT NULL,
	"last_sync_at" timestamp with time zone,
	"last_sync_job_id" uuid,
	"alerts" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "licensing_smart_accounts_domain_unique" UNIQUE("domain")
);
--> statement-breakpoint
CREATE TABLE "licensing_clusters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"version" text NOT NULL,
	"publisher_url" text,
	"admin_username" text,
	"admin_password" text,
	"platform_username" text,
	"platform_password" text,
	"virtual_account_id" uuid,
	"status" text DEFAULT 'DEREGISTERED' NOT NULL,
	"product_udi" text,
	"last_operation_id" uuid,
	"last_check" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "licensing_clusters_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "licensing_virtual_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"smart_account_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"is_default" boolean DEFAULT false NOT NULL,
	"access_level" text NOT NULL,
	"license_mode" text,
	"removed_from_cssm" boolean DEFAULT false NOT NULL,
	"last_sync_job_id" uuid,
	"synced_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "licensing_clusters" ADD CONSTRAINT "licensing_clusters_virtual_account_id_licensing_virtual_accounts_id_fk" FOREIGN KEY ("virtual_account_id") REFERENCES "public"."licensing_virtual_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licensing_virtual_accounts" ADD CONSTRAINT "licensing_virtual_accounts_smart_account_id_licensing_smart_accounts_id_fk" FOREIGN KEY ("smart_account_id") REFERENCES "public"."licensing_smart_accounts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "licensing_operations_cluster_idx" ON "licensing_operations" USING btree ("cluster_id");--> statement-breakpoint
CREATE INDEX "licensing_operations_started_idx" ON "licensing_operations" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "licensing_clusters_va_idx" ON "licensing_clusters" USING btree ("virtual_account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "licensing_va_sa_name_idx" ON "licensing_virtual_accounts" USING btree ("smart_account_id","name");--> statement-breakpoint
CREATE INDEX "licensing_va_name_idx" ON "licensing_virtual_accounts" USING btree ("name");