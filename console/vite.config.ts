import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The page is served from the console API's origin (local mode: tidemark/local/console_files.py), or
// from S3 and CloudFront: every URL in it is relative, and nothing is fetched from elsewhere.
export default defineConfig({
  plugins: [preact()],
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false },
});
