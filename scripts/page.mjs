// The login page's script as the module carries it: `node scripts/page.mjs OUT`
// writes src/surface/login.js minified by esbuild (wrangler's own, the version
// package-lock.json pins, so the output is the same on every machine).
// src/surface/page.rs puts src/surface/login.min.js, which this writes, in the
// page's `{{SCRIPT}}`; the test command writes it again to target/ and fails when
// the two differ. login.js stays the script's source, commented and readable; the
// minified one is 407 bytes less gzipped. The style and the markup stay as written
// in login.html: the style holds a template placeholder (`{{ACCENT}}`) that is no
// CSS, and either would take off under 30 bytes.
import { transformSync } from "esbuild";
import fs from "node:fs";

const source = fs.readFileSync(new URL("../src/surface/login.js", import.meta.url), "utf8");
fs.writeFileSync(process.argv[2], transformSync(source, { minify: true, loader: "js" }).code);
