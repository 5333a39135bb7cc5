// The login page in a real browser: Debian's Chromium, headless, driven by
// playwright-core against `wrangler dev`, keyboard only. Codes are read from the
// loopback capture server that plays the message provider. axe-core runs in the
// page at every state; any serious or critical violation fails the run, as does
// any Content-Security-Policy violation. Screenshots go to ARTIFACTS.
//
// Environment: BASE (the worker), CAPTURE (the capture server), EMAIL, PHONE (fresh
// destinations), PHONE_E164 (its normalised form), ARTIFACTS (a directory).

import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const { BASE, CAPTURE, EMAIL, PHONE, PHONE_E164, ARTIFACTS } = process.env;
const STEP = 15_000;
mkdirSync(ARTIFACTS, { recursive: true });

const report = { screenshots: [], axe: {}, csp_violations: [] };

async function code(to) {
  const deadline = Date.now() + STEP;
  while (Date.now() < deadline) {
    const r = await fetch(`${CAPTURE}/latest?to=${encodeURIComponent(to)}`);
    if (r.ok) return (await r.json()).code;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`no code captured for ${to}`);
}

async function shot(page, name) {
  const path = `${ARTIFACTS}/${name}.png`;
  await page.screenshot({ path, fullPage: true });
  report.screenshots.push(path);
}

async function axe(page, state) {
  await page.evaluate(AXE); // through DevTools, so the page's CSP does not apply
  const result = await page.evaluate(() =>
    window.axe.run(document, { resultTypes: ["violations"] }).then((r) =>
      r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help })),
    ),
  );
  report.axe[state] = result;
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `axe: serious or critical violations in ${state}`);
}

async function open(browser, options) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(STEP);
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) report.csp_violations.push(m.text());
  });
  const response = await page.goto(`${BASE}/`);
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-security-policy"], /script-src 'nonce-/);
  return { context, page };
}

// Keyboard only: Tab until the element has focus.
async function tabTo(page, selector) {
  for (let i = 0; i < 20; i++) {
    if (await page.evaluate((s) => document.activeElement === document.querySelector(s), selector)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab never reached ${selector}`);
}

async function sendAndVerify(page, to, expectedSub, prefix, { wrongFirst }) {
  await tabTo(page, "#to");
  await page.keyboard.type(to);
  await page.keyboard.press("Enter");
  await page.locator("#check-form").waitFor({ state: "visible" });
  assert.equal(await page.evaluate(() => document.activeElement.id), "code", "focus moves to the code");
  await shot(page, `${prefix}-2-code-sent`);
  // The resend button counts down from resend_after, disabled meanwhile.
  const resend = page.locator("#resend");
  assert.ok(await resend.isDisabled());
  const first = await resend.textContent();
  assert.match(first, /Resend code in \d+ s/);
  await page.waitForFunction((t) => document.getElementById("resend").textContent !== t, first);
  await shot(page, `${prefix}-3-resend-countdown`);
  const right = await code(expectedSub);
  if (wrongFirst) {
    const wrong = String((Number(right) + 1) % 10 ** right.length).padStart(right.length, "0");
    await page.keyboard.type(wrong);
    await page.keyboard.press("Enter");
    await page.locator("#msg", { hasText: "attempts left" }).waitFor();
    assert.equal(await page.locator("#msg").textContent(), "Wrong code. 4 attempts left.");
    await shot(page, `${prefix}-4-wrong-code`);
    await axe(page, `${prefix} wrong code`);
    // The wrong code is selected: typing replaces it.
  }
  await page.keyboard.type(right);
  await page.keyboard.press("Enter");
  await page.locator("#done").waitFor({ state: "visible" });
  assert.equal(await page.locator('dd[data-claim="sub"]').textContent(), expectedSub);
  assert.equal(await page.locator('dd[data-claim="purpose"]').textContent(), "login");
  await shot(page, `${prefix}-5-verified`);
  await axe(page, `${prefix} verified`);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  // Desktop, email, with a wrong code first.
  {
    const { context, page } = await open(browser, { viewport: { width: 1280, height: 800 }, locale: "en-US" });
    await shot(page, "desktop-1-start");
    await axe(page, "desktop start");
    await sendAndVerify(page, EMAIL, EMAIL, "desktop", { wrongFirst: true });
    await context.close();
  }
  // 320 px wide, a phone number; nothing scrolls sideways.
  {
    const { context, page } = await open(browser, { viewport: { width: 320, height: 640 }, locale: "en-US", isMobile: true, hasTouch: true });
    await shot(page, "phone-1-start");
    await axe(page, "phone start");
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), "no horizontal scroll at 320 px");
    await sendAndVerify(page, PHONE, PHONE_E164, "phone", { wrongFirst: false });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 320), "no horizontal scroll at 320 px");
    await context.close();
  }
  // The page in the browser's language (Accept-Language), an error shown in it, read
  // by axe: zh-CN, and Arabic right to left (no sideways scroll either).
  const languages = [
    { locale: "zh-CN", lang: "zh-CN", dir: "ltr", send: "发送验证码", error: "手机号格式不正确", name: "zh" },
    { locale: "ar-EG", lang: "ar", dir: "rtl", send: "إرسال الرمز", error: "رقم الهاتف غير صالح", name: "ar" },
  ];
  for (const l of languages) {
    const { context, page } = await open(browser, { viewport: { width: 390, height: 700 }, locale: l.locale });
    assert.equal(await page.evaluate(() => document.documentElement.lang), l.lang);
    assert.equal(await page.evaluate(() => document.documentElement.dir), l.dir);
    assert.equal(await page.locator("#send").textContent(), l.send);
    assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector("label")).direction), l.dir);
    // Addresses, numbers and codes read left to right in every language.
    assert.equal(await page.evaluate(() => getComputedStyle(document.getElementById("to")).direction), "ltr");
    await tabTo(page, "#to");
    await page.keyboard.type("not-a-number");
    await page.keyboard.press("Enter");
    await page.locator("#msg", { hasText: l.error }).waitFor();
    await shot(page, `${l.name}-1-error`);
    await axe(page, `${l.name} error`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), `no horizontal scroll (${l.name})`);
    await context.close();
  }
  assert.deepEqual(report.csp_violations, [], "no Content-Security-Policy violations");
} finally {
  await browser.close();
  writeFileSync(`${ARTIFACTS}/report.json`, JSON.stringify(report, null, 2));
}
console.log(JSON.stringify({ screenshots: report.screenshots.length, axe: report.axe }));
