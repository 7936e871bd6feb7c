/**
 * The console's build (issue 19): Preact through @preact/preset-vite, served by the API under
 * /console. `npm run console:build` (run from the repository root) writes dist/console/
 * (git-ignored); scripts/console-build.sh runs it from setup whenever console/ changed.
 */
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'console',
  base: '/console/',
  plugins: [preact()],
  logLevel: 'warn',
  build: {
    outDir: '../dist/console',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
  },
});
