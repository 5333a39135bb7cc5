(function () {
  "use strict";
  // The texts of the page's language, chosen by the server from Accept-Language.
  var T = JSON.parse(document.getElementById("texts").textContent);
  var LOCALE = document.documentElement.lang;
  var $ = function (id) { return document.getElementById(id); };
  var fmt = function (s, v) { return s.replace(/\{(\w+)\}/g, function (_, k) { return v[k]; }); };
  Array.prototype.forEach.call(document.querySelectorAll("[data-t]"), function (el) { el.textContent = T[el.getAttribute("data-t")]; });

  var api = document.body.getAttribute("data-api") || "";
  var sitekey = document.body.getAttribute("data-sitekey");
  var state = { id: null, timer: null, widget: null, otp: null };
  var msg = $("msg");

  function say(text, kind) { msg.textContent = text; msg.className = kind || ""; }
  function error(body, status) {
    var code = body && body.error;
    if (code === "invalid_code") return fmt(T.invalid_code, { n: body.attempts_remaining });
    if (code === "rate_limited") return fmt(T.rate_limited, { s: body.retry_after || 60 });
    return T[code] || (status ? T.other : T.network);
  }
  function post(path, body) {
    var headers = { "content-type": "application/json" };
    if (sitekey && window.turnstile && state.widget !== null && path === "/v1/verifications") {
      var token = window.turnstile.getResponse(state.widget);
      if (token) headers["x-captcha-token"] = token;
    }
    return fetch(api + path, { method: "POST", headers: headers, body: JSON.stringify(body), credentials: "omit" })
      .then(function (r) { return r.json().catch(function () { return {}; }).then(function (b) { return { ok: r.ok, status: r.status, body: b }; }); },
            function () { return { ok: false, status: 0, body: {} }; });
  }
  function countdown(seconds) {
    var button = $("resend");
    clearInterval(state.timer);
    var left = Math.max(0, Math.ceil(seconds));
    var tick = function () {
      if (left <= 0) { clearInterval(state.timer); button.disabled = false; button.textContent = T.resend; return; }
      button.disabled = true; button.textContent = fmt(T.resend_in, { s: left }); left -= 1;
    };
    tick();
    state.timer = setInterval(tick, 1000);
  }
  function webOtp() {
    if (!("OTPCredential" in window) || !navigator.credentials) return;
    if (state.otp) state.otp.abort();
    state.otp = new AbortController();
    navigator.credentials.get({ otp: { transport: ["sms"] }, signal: state.otp.signal })
      .then(function (otp) { if (otp && otp.code) { $("code").value = otp.code; $("check-form").requestSubmit(); } })
      .catch(function () {});
  }
  function send(isResend) {
    var to = $("to").value.trim();
    if (!to) { say(T.empty, "bad"); $("to").focus(); return; }
    var button = isResend ? $("resend") : $("send");
    button.disabled = true;
    say(T.sending);
    post("/v1/verifications", { to: to, purpose: "login", locale: LOCALE }).then(function (r) {
      if (sitekey && window.turnstile && state.widget !== null) window.turnstile.reset(state.widget);
      button.disabled = false;
      if (!r.ok) {
        say(error(r.body, r.status), "bad");
        if (isResend && r.body.retry_after) countdown(r.body.retry_after);
        return;
      }
      state.id = r.body.verification_id;
      $("sent-to").textContent = fmt(T.sent, { to: r.body.to });
      $("send-form").hidden = true; $("check-form").hidden = false; $("done").hidden = true;
      say(fmt(T.sent, { to: r.body.to }), "good");
      countdown(r.body.resend_after);
      $("code").value = ""; $("code").focus();
      if (r.body.channel === "sms") webOtp();
    });
  }
  function claims(token) {
    try {
      var part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      var text = decodeURIComponent(Array.prototype.map.call(atob(part), function (c) { return "%" + ("0" + c.charCodeAt(0).toString(16)).slice(-2); }).join(""));
      return JSON.parse(text);
    } catch (e) { return {}; }
  }
  function show(c) {
    var dl = $("claims");
    dl.textContent = "";
    ["sub", "purpose", "channel", "iss", "aud", "iat", "exp"].forEach(function (k) {
      if (c[k] === undefined) return;
      var dt = document.createElement("dt"), dd = document.createElement("dd");
      dt.textContent = T[k];
      dd.textContent = (k === "iat" || k === "exp") ? new Date(c[k] * 1000).toLocaleString(LOCALE) : String(c[k]);
      dd.setAttribute("data-claim", k);
      dl.appendChild(dt); dl.appendChild(dd);
    });
  }
  $("send-form").addEventListener("submit", function (e) { e.preventDefault(); send(false); });
  $("resend").addEventListener("click", function () { send(true); });
  $("check-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var code = $("code").value.replace(/\s+/g, "");
    if (!code) { say(T.empty_code, "bad"); $("code").focus(); return; }
    $("verify").disabled = true;
    say(T.checking);
    post("/v1/verifications/check", { verification_id: state.id, code: code }).then(function (r) {
      $("verify").disabled = false;
      if (!r.ok) {
        say(error(r.body, r.status), "bad");
        var dead = ["too_many_attempts", "expired", "already_used", "invalid_verification"].indexOf(r.body.error) >= 0;
        if (dead) { clearInterval(state.timer); $("resend").disabled = false; $("resend").textContent = T.resend; $("resend").focus(); }
        else { $("code").select(); $("code").focus(); }
        return;
      }
      if (state.otp) state.otp.abort();
      clearInterval(state.timer);
      show(claims(r.body.verified_token));
      $("check-form").hidden = true; $("done").hidden = false;
      say(T.verified, "good");
      $("done-title").focus();
    });
  });
  $("change").addEventListener("click", function () {
    clearInterval(state.timer);
    $("check-form").hidden = true; $("send-form").hidden = false; say("");
    $("to").focus();
  });
  $("again").addEventListener("click", function () {
    $("done").hidden = true; $("send-form").hidden = false; $("to").value = ""; say("");
    $("to").focus();
  });
  if (sitekey) {
    window.onTurnstileLoad = function () { state.widget = window.turnstile.render("#captcha", { sitekey: sitekey, action: "edge-otp", language: LOCALE.toLowerCase() }); };
    var s = document.createElement("script");
    s.src = "https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit&onload=onTurnstileLoad";
    s.async = true; s.nonce = "{{NONCE}}";
    document.head.appendChild(s);
  }
})();
