ALTER TABLE "meetings_endpoints" ADD COLUMN "certificate_trust" text;--> statement-breakpoint
ALTER TABLE "meetings_endpoints" ADD COLUMN "certificate_fingerprint" text;--> statement-breakpoint
ALTER TABLE "meetings_endpoints" ADD COLUMN "certificate" jsonb;--> statement-breakpoint
ALTER TABLE "meetings_endpoints" ADD COLUMN "presented_certificate" jsonb;