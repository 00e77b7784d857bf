import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './partner/**/*.schema.ts',
  out: './partner/db/migrations',
});
