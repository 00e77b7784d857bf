CREATE TABLE "partner_org_settings" (
	"customer_org_id" uuid PRIMARY KEY NOT NULL,
	"values" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"release_defer_days" integer,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_person_settings" (
	"person_id" uuid PRIMARY KEY NOT NULL,
	"customer_org_id" uuid NOT NULL,
	"free_calling" boolean DEFAULT true NOT NULL,
	"display_name" text,
	"primary_work_number" text,
	"services" jsonb DEFAULT '{"messaging":true,"meetings":true,"calling":true}'::jsonb NOT NULL,
	"package" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_release_settings" (
	"partner_org_id" uuid PRIMARY KEY NOT NULL,
	"defer_days" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_activation_holds" (
	"subscriber_id" uuid PRIMARY KEY NOT NULL,
	"sp_enterprise_id" text NOT NULL,
	"waiting_for" uuid NOT NULL,
	"held_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_user_migrations" (
	"subscriber_id" uuid PRIMARY KEY NOT NULL,
	"identity_id" uuid NOT NULL,
	"email" text NOT NULL,
	"state" text NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"decided_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "partner_webex_identities" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"display_name" text NOT NULL,
	"kind" text NOT NULL,
	"password_hash" text NOT NULL,
	"state" text DEFAULT 'active' NOT NULL,
	"moved_to_org_id" uuid,
	"moved_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "partner_webex_identities_email_unique" UNIQUE("email")
);
--> statement-breakpoint
CREATE INDEX "partner_person_settings_org_idx" ON "partner_person_settings" USING btree ("customer_org_id");--> statement-breakpoint
CREATE INDEX "partner_activation_holds_enterprise_idx" ON "partner_activation_holds" USING btree ("sp_enterprise_id");--> statement-breakpoint
CREATE INDEX "partner_user_migrations_state_idx" ON "partner_user_migrations" USING btree ("state","expires_at");