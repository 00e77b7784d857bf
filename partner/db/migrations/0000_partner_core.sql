CREATE TABLE "partner_clusters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"partner_org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"xsi_actions_url" text NOT NULL,
	"xsi_events_url" text NOT NULL,
	"auth_service_url" text NOT NULL,
	"das_url" text,
	"xsp_adp_url" text,
	"cti_url" text,
	"call_history" boolean DEFAULT false NOT NULL,
	"dnd_sync" boolean DEFAULT false NOT NULL,
	"pa_status_sync" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "partner_clusters_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "partner_customer_orgs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"sp_enterprise_id" text NOT NULL,
	"template_id" uuid NOT NULL,
	"display_name" text NOT NULL,
	"restricted" boolean DEFAULT true NOT NULL,
	"state" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "partner_customer_orgs_sp_enterprise_id_unique" UNIQUE("sp_enterprise_id")
);
--> statement-breakpoint
CREATE TABLE "partner_templates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"partner_org_id" uuid NOT NULL,
	"cluster_id" uuid NOT NULL,
	"name" text NOT NULL,
	"provisioning_id" text NOT NULL,
	"provisioning_account" text NOT NULL,
	"provisioning_password" text NOT NULL,
	"trusted_emails" boolean DEFAULT true NOT NULL,
	"default_package" text DEFAULT 'basic' NOT NULL,
	"partner_admin_email" text NOT NULL,
	"provision_existing_orgs" boolean DEFAULT true NOT NULL,
	"admin_invite_on_attach" boolean DEFAULT true NOT NULL,
	"disable_free_calling" boolean DEFAULT false NOT NULL,
	"prefill_email" boolean DEFAULT false NOT NULL,
	"provision_admin_first" boolean DEFAULT false NOT NULL,
	"allow_self_activation" boolean DEFAULT false NOT NULL,
	"wholesale" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "partner_templates_name_unique" UNIQUE("name"),
	CONSTRAINT "partner_templates_provisioning_id_unique" UNIQUE("provisioning_id")
);
--> statement-breakpoint
CREATE TABLE "partner_orgs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_people" (
	"id" uuid PRIMARY KEY NOT NULL,
	"customer_org_id" uuid,
	"email" text NOT NULL,
	"first_name" text,
	"last_name" text,
	"is_admin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "partner_people_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE TABLE "partner_subscriber_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subscriber_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"change" text NOT NULL,
	"user_id" text NOT NULL,
	"sp_enterprise_id" text NOT NULL,
	"package" text NOT NULL,
	"status" text NOT NULL,
	"self_activated" boolean NOT NULL,
	"previous" text
);
--> statement-breakpoint
CREATE TABLE "partner_subscribers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"sp_enterprise_id" text NOT NULL,
	"template_id" uuid NOT NULL,
	"provisioning_id" text NOT NULL,
	"customer_org_id" uuid,
	"person_id" uuid,
	"first_name" text NOT NULL,
	"last_name" text NOT NULL,
	"email" text,
	"primary_phone_number" text,
	"mobile_phone_number" text,
	"extension" text,
	"language" text,
	"timezone" text,
	"package" text NOT NULL,
	"status" text NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"pending_update" jsonb,
	"self_activated" boolean DEFAULT false NOT NULL,
	"source" text DEFAULT 'api' NOT NULL,
	"created" timestamp with time zone NOT NULL,
	"last_status_change" timestamp with time zone NOT NULL,
	CONSTRAINT "partner_subscribers_user_id_unique" UNIQUE("user_id")
);
--> statement-breakpoint
ALTER TABLE "partner_customer_orgs" ADD CONSTRAINT "partner_customer_orgs_template_id_partner_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."partner_templates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_templates" ADD CONSTRAINT "partner_templates_cluster_id_partner_clusters_id_fk" FOREIGN KEY ("cluster_id") REFERENCES "public"."partner_clusters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_people" ADD CONSTRAINT "partner_people_customer_org_id_partner_customer_orgs_id_fk" FOREIGN KEY ("customer_org_id") REFERENCES "public"."partner_customer_orgs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "partner_subscribers" ADD CONSTRAINT "partner_subscribers_template_id_partner_templates_id_fk" FOREIGN KEY ("template_id") REFERENCES "public"."partner_templates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "partner_customer_orgs_template_idx" ON "partner_customer_orgs" USING btree ("template_id");--> statement-breakpoint
CREATE INDEX "partner_templates_cluster_idx" ON "partner_templates" USING btree ("cluster_id");--> statement-breakpoint
CREATE INDEX "partner_people_org_idx" ON "partner_people" USING btree ("customer_org_id");--> statement-breakpoint
CREATE INDEX "partner_subscriber_history_sub_idx" ON "partner_subscriber_history" USING btree ("subscriber_id","at");--> statement-breakpoint
CREATE INDEX "partner_subscriber_history_at_idx" ON "partner_subscriber_history" USING btree ("at");--> statement-breakpoint
CREATE INDEX "partner_subscribers_created_idx" ON "partner_subscribers" USING btree ("created","id");--> statement-breakpoint
CREATE INDEX "partner_subscribers_enterprise_idx" ON "partner_subscribers" USING btree ("sp_enterprise_id");--> statement-breakpoint
CREATE INDEX "partner_subscribers_template_idx" ON "partner_subscribers" USING btree ("template_id");--> statement-breakpoint
CREATE INDEX "partner_subscribers_status_idx" ON "partner_subscribers" USING btree ("status");--> statement-breakpoint
CREATE INDEX "partner_subscribers_email_idx" ON "partner_subscribers" USING btree ("email");