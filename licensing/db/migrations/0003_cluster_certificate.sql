ALTER TABLE "licensing_clusters" ADD COLUMN "certificate_trust" text;--> statement-breakpoint
ALTER TABLE "licensing_clusters" ADD COLUMN "certificate_fingerprint" text;--> statement-breakpoint
ALTER TABLE "licensing_clusters" ADD COLUMN "certificate" jsonb;--> statement-breakpoint
ALTER TABLE "licensing_clusters" ADD COLUMN "presented_certificate" jsonb;