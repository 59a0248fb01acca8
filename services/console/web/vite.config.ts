import { defineConfig } from "vite";

// Everything the browser loads is bundled here, from the lock file: no asset from the internet.
// The console service serves `dist/` under a strict Content-Security-Policy (no inline script
// or style), so the build emits files only.
export default defineConfig({
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    target: "es2022",
  },
});
