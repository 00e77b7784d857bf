// Every table of every area, for drizzle-kit and for the typed `Database`. Areas add their
// `*.schema.ts` here.
export * from '../auth/auth.schema.ts';
export * from '../audit/audit.schema.ts';
export * from '../jobs/jobs.schema.ts';
