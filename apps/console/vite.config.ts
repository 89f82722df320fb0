import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * The console is a static single-page app served by the API at `/console` (same origin, so
 * no CORS and no tokens in URLs). Everything is bundled: no CDN, no external fonts.
 */
export default defineConfig({
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `vite` dev server: forward API calls to a station on :3000.
    proxy: Object.fromEntries(
      [
        '/auth',
        '/oauth',
        '/audit',
        '/access-requests',
        '/projects',
        '/airlock',
        '/trusts',
        '/partners',
        '/clients',
        '/users',
        '/ingestion',
        '/imaging',
        '/ledger',
        '/compliance',
        '/keys',
        '/health',
        '/docs-json',
      ].map((p) => [p, 'http://localhost:3000']),
    ),
  },
});
