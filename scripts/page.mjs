// The login page as the module carries it: `node scripts/page.mjs OUT` writes
// src/surface/login.html with its script minified by esbuild (wrangler's own, the
// version package-lock.json pins, so the output is the same on every machine).
// src/surface/page.rs includes src/surface/login.min.html, which this writes; the
// test command writes it again to target/ and fails when the two differ.
//
// login.html stays the page's source, commented and readable; the minified
// script is 407 bytes less gzipped. The style and the markup stay as written:
// the style holds a template placeholder (`{{ACCENT}}`) that is no CSS, and
// either would take off under 30 bytes.
import { transformSync } from "esbuild";
import fs from "node:fs";

const page = fs.readFileSync(new URL("../src/surface/login.html", import.meta.url), "utf8");
const open = '<script nonce="{{NONCE}}">\n';
const start = page.indexOf(open);
const end = page.indexOf("</script>", start);
if (start < 0 || end < 0 || page.indexOf(open, end) >= 0) {
  throw new Error("login.html: expected one inline script after the texts");
}
const script = transformSync(page.slice(start + open.length, end), { minify: true, loader: "js" }).code;
fs.writeFileSync(process.argv[2], page.slice(0, start + open.length) + script + page.slice(end));
