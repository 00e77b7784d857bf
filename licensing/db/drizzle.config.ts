import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './licensing/**/*.schema.ts',
  out: './licensing/db/migrations',
});
