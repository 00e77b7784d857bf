DROP INDEX "licensing_va_name_idx";--> statement-breakpoint
CREATE INDEX "licensing_va_name_idx" ON "licensing_virtual_accounts" USING btree ("name","id");