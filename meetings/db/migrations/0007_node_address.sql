ALTER TABLE "meetings_bridge_nodes" ADD COLUMN "advertised_address" text;--> statement-breakpoint
ALTER TABLE "meetings_bridge_nodes" ADD COLUMN "address_override" text;--> statement-breakpoint
ALTER TABLE "meetings_bridges" ADD COLUMN "cdr_token_sealed" text;