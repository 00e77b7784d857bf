ALTER TABLE "meetings_bridges" ADD COLUMN "cdr_token_hash" text;--> statement-breakpoint
-- The CDR receiver token is a credential (#13): keep only its SHA-256. The bridges already hold the
-- URL with the token and keep posting with it, so existing tokens are hashed, not replaced.
UPDATE "meetings_bridges" SET "cdr_token_hash" = encode(sha256(convert_to("cdr_token", 'UTF8')), 'hex') WHERE "cdr_token" IS NOT NULL;
