// Builds the app into graph/webapp/dist, which the Go binary embeds and
// serves at /app/: no Node and no CDN at run time.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/app/',
  build: {
    outDir: '../../graph/webapp/dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1000,
    sourcemap: false,
  },
});
