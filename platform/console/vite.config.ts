import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const consoleRoot = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(consoleRoot, '../..');

// The console is built into <repo>/dist/console, which platform/http/server.ts serves.
export default defineConfig({
  root: consoleRoot,
  base: '/',
  plugins: [react()],
  build: {
    outDir: path.join(repoRoot, 'dist/console'),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: {
    // Area pages live in each area's folder (meetings/console, …), outside this root.
    fs: { allow: [repoRoot] },
    // `vite` in dev: the API is a running Switchboard (npm start) on its default port.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
