ALTER TABLE "meetings_bridge_nodes" ADD COLUMN "certificate_trust" text;--> statement-breakpoint
ALTER TABLE "meetings_bridge_nodes" ADD COLUMN "certificate_fingerprint" text;--> statement-breakpoint
ALTER TABLE "meetings_bridge_nodes" ADD COLUMN "certificate" jsonb;--> statement-breakpoint
ALTER TABLE "meetings_bridge_nodes" ADD COLUMN "presented_certificate" jsonb;