CREATE TABLE "partner_webex_orgs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"user_count" integer DEFAULT 0 NOT NULL,
	"user_emails" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"admin_emails" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"verified_domains" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"claimed_domains" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"licences" text DEFAULT 'active' NOT NULL,
	"email_suppression" boolean DEFAULT false NOT NULL,
	"approved_partner_admins" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"approval_requested_for" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "partner_customer_orgs" ADD COLUMN "attached_webex_org_id" uuid;--> statement-breakpoint
ALTER TABLE "partner_customer_orgs" ADD COLUMN "partner_role" text DEFAULT 'full_admin' NOT NULL;