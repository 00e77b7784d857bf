// The platform's tables, for drizzle-kit (platform/db/drizzle.config.ts) and the typed `Db`.
// Each area keeps its tables in its own `*.schema.ts` files with its own drizzle config and
// migrations folder (`<area>/db/drizzle.config.ts` → `<area>/db/migrations`).
export * from '../auth/auth.schema.ts';
export * from '../audit/audit.schema.ts';
export * from '../jobs/jobs.schema.ts';
