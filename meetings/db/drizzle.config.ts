import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './meetings/**/*.schema.ts',
  out: './meetings/db/migrations',
});
