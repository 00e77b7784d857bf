ALTER TABLE "meetings_bridge_nodes" ADD COLUMN "advertised_address" text;--> statement-breakpoint
ALTER TABLE "meetings_bridge_nodes" ADD COLUMN "address_override" text;