// Vite build of the web UI: ui/ is the root, output in ui/dist (served by the API server at "/").
// Everything is bundled; nothing is loaded from a CDN. `npm run build:ui` from the repo root.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    host: '127.0.0.1',
    // `SEKISHO_API=http://127.0.0.1:PORT npx vite ui` proxies the API of a running `sekisho up`
    proxy: process.env.SEKISHO_API ? { '/api': { target: process.env.SEKISHO_API, changeOrigin: false } } : undefined,
  },
});
