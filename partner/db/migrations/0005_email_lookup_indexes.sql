-- Provisioning checks an email against every subscriber and person case-insensitively
-- (lower(email) = ...); without these, each accepted request scans the whole table.
CREATE INDEX IF NOT EXISTS "partner_subscribers_email_lower_idx" ON "partner_subscribers" USING btree (lower("email"));
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "partner_people_email_lower_idx" ON "partner_people" USING btree (lower("email"));
