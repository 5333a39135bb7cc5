"""Writes the OpenAPI 3.1 document of every route, native and dialects, that the
worker serves at GET /openapi.json:

    python3 openapi/openapi.py src/surface/openapi.json

This file is the document's source; `scripts/test` checks that the committed
src/surface/openapi.json is what it writes, native tests tie the document to the routing
table and the error codes, and schemathesis checks real responses against it.
Statuses and error codes follow src/service/error.rs (native) and src/surface/dialect/ (dialects).
"""

import json, sys

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def resp_ref(name): return {"$ref": f"#/components/responses/{name}"}

JSON = "application/json"
def content(schema, example=None, examples=None):
    c = {"schema": schema}
    if example is not None: c["example"] = example
    if examples: c["examples"] = {k: {"value": v} for k, v in examples.items()}
    return {JSON: c}

RID = {"X-Request-Id": {"$ref": "#/components/headers/X-Request-Id"}}
RETRY = {**RID, "Retry-After": {"$ref": "#/components/headers/Retry-After"}}

def resp(desc, schema, example=None, examples=None, headers=RID):
    r = {"description": desc, "headers": headers, "content": content(schema, example, examples)}
    return r

NATIVE_CODES = ["invalid_request","invalid_phone_number","invalid_email","invalid_code","invalid_verification",
  "unauthorized","captcha_required","captcha_invalid","destination_not_allowed","user_not_found","user_exists",
  "idempotency_key_reused","not_found","method_not_allowed","already_used","expired","payload_too_large",
  "unsupported_media_type","rate_limited","too_many_attempts","delivery_unavailable","service_unavailable","internal_error"]

def nerr(desc, codes, examples, retry=False):
    return resp(desc, {"allOf": [ref("Error"), {"properties": {"error": {"enum": codes}}}]},
                examples=examples, headers=RETRY if retry else RID)

def ex(code, message, **extra):
    return {"error": code, "message": message, "request_id": "7f0c2a9e4b1d4c8a", **extra}

MSG = {
 "invalid_request": "Missing field.", "unauthorized": "Client authentication failed.",
}

native_common = {
  "401": nerr("Client authentication failed (only when `CLIENTS` is configured).", ["unauthorized"],
              {"unauthorized": ex("unauthorized", "Client authentication is required.")}),
  "413": nerr("Body over 8 KiB.", ["payload_too_large"], {"payload_too_large": ex("payload_too_large", "The request body is too large.")}),
  "415": nerr("Body is not `application/json`.", ["unsupported_media_type"], {"unsupported_media_type": ex("unsupported_media_type", "Send application/json.")}),
  "500": nerr("Misconfiguration or an internal fault.", ["internal_error"], {"internal_error": ex("internal_error", "Internal error.")}),
}

send = {
 "post": {
  "operationId": "sendVerification", "tags": ["native"],
  "summary": "Send a one-time code to a phone (SMS) or an email address",
  "security": [{}, {"basic": []}, {"bearer": []}],
  "parameters": [
    {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
     "description": "A repeat with the same key and body within 10 minutes replays the first response and sends nothing."},
    {"name": "X-Captcha-Token", "in": "header", "required": False, "schema": {"type": "string"}, "description": "Turnstile token (also accepted as `cf-turnstile-response`)."},
    {"name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"}, "description": "Message locale (any region of a supported language: `es-MX` gives es) when `locale` is absent and the phone number's calling code names none."},
  ],
  "requestBody": {"required": True, "content": content(ref("SendRequest"), examples={
      "sms": {"to": "+8613800138000", "channel": "sms", "purpose": "login", "locale": "zh-CN", "ttl": 300},
      "email": {"to": "ada@example.com"}})},
  "responses": {
    "200": resp("The code was sent (or, with enumeration protection, withheld exactly alike).", ref("SendResponse"), example={
        "verification_id": "AQEAZWQxAAAAAGV0ZXN0...", "channel": "sms", "to": "+86138****8000", "purpose": "login",
        "expires_in": 300, "resend_after": 60, "attempts_allowed": 5, "code_length": 6}),
    "400": nerr("Malformed request or destination.", ["invalid_request","invalid_phone_number","invalid_email"], {
        "invalid_request": ex("invalid_request", "Unknown field.", field="tooo"),
        "invalid_phone_number": ex("invalid_phone_number", "The phone number is not valid; use the international format, e.g. +14155550100."),
        "invalid_email": ex("invalid_email", "The email address is not valid.")}),
    **{k: v for k, v in native_common.items() if k in ("401",)},
    "403": nerr("Captcha needed or refused, or the destination's country is not allowed.", ["captcha_required","captcha_invalid","destination_not_allowed"], {
        "captcha_required": ex("captcha_required", "Complete the captcha and retry."),
        "destination_not_allowed": ex("destination_not_allowed", "This destination is not allowed.")}),
    "404": nerr("`reset_password` for no account (directory configured, enumeration protection off).", ["user_not_found"], {"user_not_found": ex("user_not_found", "No account uses this destination.")}),
    "409": nerr("`signup` for an existing account (directory configured, enumeration protection off).", ["user_exists"], {"user_exists": ex("user_exists", "An account already uses this destination.")}),
    "413": native_common["413"], "415": native_common["415"],
    "422": nerr("The `Idempotency-Key` was used with another body.", ["idempotency_key_reused"], {"idempotency_key_reused": ex("idempotency_key_reused", "This Idempotency-Key was used with a different request.")}),
    "429": nerr("A cooldown or a cap: retry after `retry_after` seconds.", ["rate_limited"], {"rate_limited": ex("rate_limited", "Too many requests; retry later.", retry_after=60)}, retry=True),
    "500": native_common["500"],
    "503": nerr("No provider delivered, the daily spend ceiling is reached, or a dependency is down.", ["delivery_unavailable","service_unavailable"], {"delivery_unavailable": ex("delivery_unavailable", "The message could not be delivered; retry later.", retry_after=30)}, retry=True),
  }}}

check = {
 "post": {
  "operationId": "checkVerification", "tags": ["native"], "summary": "Check a code; on success, a signed JWT says who verified what",
  "security": [{}, {"basic": []}, {"bearer": []}],
  "requestBody": {"required": True, "content": content(ref("CheckRequest"), example={"verification_id": "AQEAZWQxAAAAAGV0ZXN0...", "code": "123456", "to": "+8613800138000"})},
  "responses": {
    "200": resp("Approved: the code is consumed.", ref("CheckResponse"), example={
        "status": "approved", "verified_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIrODYxMzgwMDEzODAwMCJ9.c2ln",
        "expires_in": 300, "channel": "sms", "to": "+8613800138000", "purpose": "login"}),
    "400": nerr("Wrong code (with attempts remaining), or a verification_id that is malformed, tampered, for another destination or purpose.", ["invalid_request","invalid_code","invalid_verification"], {
        "invalid_code": ex("invalid_code", "The code is not correct.", attempts_remaining=4),
        "invalid_verification": ex("invalid_verification", "The verification is not valid.")}),
    "401": native_common["401"],
    "409": nerr("The code was already used.", ["already_used"], {"already_used": ex("already_used", "This code was already used.")}),
    "410": nerr("The code expired.", ["expired"], {"expired": ex("expired", "This code has expired.")}),
    "413": native_common["413"], "415": native_common["415"],
    "429": nerr("Attempts exhausted (this code is dead), the destination's failure budget is spent, or the store is busy.", ["too_many_attempts","rate_limited"], {"too_many_attempts": ex("too_many_attempts", "Too many wrong codes; request a new one.")}, retry=True),
    "500": native_common["500"],
    "503": nerr("The store is unavailable.", ["service_unavailable"], {"service_unavailable": ex("service_unavailable", "Temporarily unavailable; retry later.", retry_after=5)}, retry=True),
  }}}

ID_PARAM = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1, "maxLength": 1024, "pattern": "^[A-Za-z0-9_-]+$"},
            "description": "The verification_id a send returned."}
STATUS_ERRORS = {
    "400": nerr("A verification_id that is malformed, tampered, or another client's.", ["invalid_verification"], {
        "invalid_verification": ex("invalid_verification", "The verification is not valid.")}),
    "401": native_common["401"],
    "404": nerr("The id has characters no verification_id has: no such route.", ["not_found"], {"not_found": ex("not_found", "No such route.")}),
    "429": nerr("The store is busy.", ["rate_limited"], {"rate_limited": ex("rate_limited", "Too many requests; retry later.", retry_after=1)}, retry=True),
    "500": native_common["500"],
    "503": nerr("The store is unavailable.", ["service_unavailable"], {"service_unavailable": ex("service_unavailable", "Temporarily unavailable; retry later.", retry_after=5)}, retry=True),
}
status_op = {"get": {
  "operationId": "verificationStatus", "tags": ["native"], "summary": "Where a verification stands (for the client that sent it)",
  "security": [{}, {"basic": []}, {"bearer": []}], "parameters": [ID_PARAM],
  "responses": {"200": resp("Its status.", ref("StatusResponse"), example={
      "verification_id": "AQEAZWQxAAAAAGV0ZXN0", "status": "pending", "attempts_remaining": 5, "channel": "sms",
      "to": "+86138****8000", "purpose": "login", "expires_in": 420}), **STATUS_ERRORS}}}
cancel_op = {"post": {
  "operationId": "cancelVerification", "tags": ["native"], "summary": "Cancel a pending code (a canceled code verifies nothing; checks answer 410 expired)",
  "security": [{}, {"basic": []}, {"bearer": []}], "parameters": [ID_PARAM],
  "responses": {"200": resp("Where it stands now (canceled, or approved, exhausted or expired when it was no longer pending).", ref("StatusResponse"), example={
      "verification_id": "AQEAZWQxAAAAAGV0ZXN0", "status": "canceled", "attempts_remaining": 0, "channel": "sms",
      "to": "+86138****8000", "purpose": "login", "expires_in": 420}), **STATUS_ERRORS}}}

health = {"get": {"operationId": "health", "tags": ["native"], "summary": "Liveness: no secrets, no state",
  "responses": {"200": resp("Up.", {"type": "object", "required": ["status","version"], "additionalProperties": False,
      "properties": {"status": {"const": "ok"}, "version": {"type": "string"}}}, example={"status": "ok", "version": "0.1.0"})}}}

jwks = {"get": {"operationId": "jwks", "tags": ["native"], "summary": "The public keys that verify verified tokens (EdDSA; empty with JWT_ALG = HS256)",
  "responses": {"200": resp("A JSON Web Key Set (RFC 7517) of Ed25519 keys (RFC 8037).", {"type": "object", "required": ["keys"], "additionalProperties": False,
      "properties": {"keys": {"type": "array", "items": {"type": "object", "required": ["kty","crv","x","kid","alg","use"], "additionalProperties": False,
          "properties": {"kty": {"const": "OKP"}, "crv": {"const": "Ed25519"}, "x": {"type": "string"}, "kid": {"type": "string"}, "alg": {"const": "EdDSA"}, "use": {"const": "sig"}}}}}},
      example={"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "sig1", "alg": "EdDSA", "use": "sig"}]})}}}

page = {"get": {"operationId": "loginPage", "tags": ["native"], "summary": "The edge login page (HTML, strict CSP); 404 when `LOGIN_PAGE = \"off\"` or client authentication is configured",
  "responses": {"200": {"description": "The page.", "headers": RID, "content": {"text/html": {"schema": {"type": "string"}}}},
                "404": nerr("The page is switched off.", ["not_found"], {"not_found": ex("not_found", "No such route.")})}}}
openapi_doc = {"get": {"operationId": "openapi", "tags": ["native"], "summary": "This document",
  "responses": {"200": {"description": "OpenAPI 3.1.", "headers": RID, "content": {JSON: {"schema": {"type": "object", "required": ["openapi","paths"]}}}}}}}

# ---- CloudBase
def cb_err(desc, names, examples, retry=False):
    return resp(desc, {"allOf": [ref("CloudBaseError"), {"properties": {"error": {"enum": names}}}]}, examples=examples, headers=RETRY if retry else RID)
def cbx(e, c, d): return {"error": e, "error_code": c, "error_description": d}
cloudbase_send = {"post": {
  "operationId": "cloudbaseSendVerification", "tags": ["Tencent CloudBase"], "summary": "CloudBase: send a verification code (seed 003)",
  "security": [{}, {"basic": []}, {"bearer": []}],
  "parameters": [{"name": "x-captcha-token", "in": "header", "required": False, "schema": {"type": "string"}, "description": "Captcha (Turnstile) token."},
                 {"name": "captcha_token", "in": "query", "required": False, "schema": {"type": "string"}, "description": "The same token, as CloudBase's JS SDK may send it."}],
  "requestBody": {"required": True, "content": content(ref("CloudBaseSendRequest"), examples={
      "phone": {"phone_number": "+86 13800138000", "target": "ANY"}, "email": {"email": "user@example.com", "target": "USER"}})},
  "responses": {
    "200": resp("Sent.", ref("CloudBaseSendResponse"), examples={"sent": {"verification_id": "AQEAZWQxAAAAAGV0ZXN0...", "expires_in": 600}, "known": {"verification_id": "AQEAZWQxAAAAAGV0ZXN0...", "expires_in": 600, "is_user": True}}),
    "400": cb_err("Malformed request or destination.", ["invalid_phone_number","invalid_email","invalid_argument"], {
        "invalid_phone_number": cbx("invalid_phone_number", 4001, "Phone number format error, needs +86 prefix"),
        "invalid_argument": cbx("invalid_argument", 4000, "target: Must be ANY, USER or NOT_USER.")}),
    "401": cb_err("Client authentication failed (only when `CLIENTS` is configured).", ["unauthorized"], {"unauthorized": cbx("unauthorized", 4010, "Client authentication is required.")}),
    "403": cb_err("Captcha needed or refused; destination not allowed.", ["captcha_required","captcha_invalid","destination_not_allowed"], {"captcha_required": cbx("captcha_required", 4028, "Need to complete image verification code verification")}),
    "404": cb_err("`target: USER` for a stranger.", ["user_not_found"], {"user_not_found": cbx("user_not_found", 4004, "User does not exist")}),
    "409": cb_err("`target: NOT_USER` for an existing user.", ["user_already_exists"], {"user_already_exists": cbx("user_already_exists", 4090, "An account already uses this destination.")}),
    "413": cb_err("Body over 8 KiB.", ["payload_too_large"], {"payload_too_large": cbx("payload_too_large", 4130, "The request body is too large.")}),
    "415": cb_err("Not JSON.", ["unsupported_media_type"], {"unsupported_media_type": cbx("unsupported_media_type", 4150, "Send application/json.")}),
    "429": cb_err("60 s per destination, 10 per hour per IP, and the other caps.", ["rate_limit_exceeded"], {"rate_limit_exceeded": cbx("rate_limit_exceeded", 4029, "Verification code send frequency too high, please try again in 60 seconds")}, retry=True),
    "500": cb_err("Internal fault.", ["internal_error"], {"internal_error": cbx("internal_error", 5000, "Internal error.")}),
    "503": cb_err("Delivery or a dependency failed.", ["delivery_unavailable","service_unavailable"], {"delivery_unavailable": cbx("delivery_unavailable", 5030, "The message could not be delivered; retry later.")}, retry=True),
  }}}
cloudbase_verify = {"post": {
  "operationId": "cloudbaseVerify", "tags": ["Tencent CloudBase"], "summary": "CloudBase: verify the code, get a verification_token",
  "security": [{}, {"basic": []}, {"bearer": []}],
  "requestBody": {"required": True, "content": content(ref("CloudBaseVerifyRequest"), example={"verification_id": "AQEAZWQxAAAAAGV0ZXN0...", "verification_code": "123456"})},
  "responses": {
    "401": cb_err("Client authentication failed (only when `CLIENTS` is configured).", ["unauthorized"], {"unauthorized": cbx("unauthorized", 4010, "Client authentication is required.")}),
    "200": resp("Verified.", ref("CloudBaseVerifyResponse"), example={"verification_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln", "expires_in": 600}),
    "400": cb_err("Wrong code or bad verification_id.", ["invalid_verification_code","invalid_verification_id","invalid_argument"], {"invalid_verification_code": cbx("invalid_verification_code", 4000, "Verification code error, 4 attempts remaining")}),
    "409": cb_err("Already used.", ["verification_used"], {"verification_used": cbx("verification_used", 4090, "This code was already used.")}),
    "410": cb_err("Expired.", ["verification_expired"], {"verification_expired": cbx("verification_expired", 4100, "This code has expired.")}),
    "413": cb_err("Body over 8 KiB.", ["payload_too_large"], {"payload_too_large": cbx("payload_too_large", 4130, "The request body is too large.")}),
    "415": cb_err("Not JSON.", ["unsupported_media_type"], {"unsupported_media_type": cbx("unsupported_media_type", 4150, "Send application/json.")}),
    "429": cb_err("Attempts exhausted or the failure budget spent.", ["too_many_attempts","rate_limit_exceeded"], {"too_many_attempts": cbx("too_many_attempts", 4290, "Too many wrong codes; request a new one.")}, retry=True),
    "500": cb_err("Internal fault.", ["internal_error"], {"internal_error": cbx("internal_error", 5000, "Internal error.")}),
    "503": cb_err("Store unavailable.", ["service_unavailable"], {"service_unavailable": cbx("service_unavailable", 5030, "Temporarily unavailable; retry later.")}, retry=True),
  }}}

# ---- CIAM
def ciam_err(desc, names, examples, retry=False):
    return resp(desc, {"allOf": [ref("OAuthError"), {"properties": {"error": {"enum": names}}}]}, examples=examples, headers=RETRY if retry else RID)
ciam_send = {"post": {
  "operationId": "ciamSendOtp", "tags": ["Tencent Cloud CIAM"], "summary": "CIAM: send an OTP (seed 004)",
  "security": [{"basic": []}],
  "requestBody": {"required": True, "content": content(ref("CiamSendRequest"), examples={
      "sms": {"usage": "login", "phone_number": "13800138000", "auth_source_id": "MOCK_SMS_OTP_AUTH_SOURCE_ID"}, "email": {"usage": "signup", "email": "user@example.com"}})},
  "responses": {
    "200": resp("Sent.", ref("CiamSendResponse"), example={"otp_token": "AQEAZWQxAAAAAGV0ZXN0..."}),
    "400": ciam_err("Malformed input, directory conflicts, rate limits, the spend ceiling.", ["malformed_phone_number","malformed_email","invalid_email","email_is_used","phone_number_is_used","user_not_found","sms_rate_limit_exceeded","email_rate_limit_exceeded","insufficient_sms_quota","insufficient_email_quota","invalid_request"], {
        "malformed_phone_number": {"error": "malformed_phone_number"}, "email_is_used": {"error": "email_is_used"},
        "sms_rate_limit_exceeded": {"error": "sms_rate_limit_exceeded", "error_description": "SMS rate limit exceeded for same phone number"}}),
    "401": ciam_err("Client authentication failed.", ["invalid_client"], {"invalid_client": {"error": "invalid_client", "error_description": "Client authentication failed."}}),
    "403": ciam_err("Captcha or country rules.", ["captcha_required","captcha_invalid","destination_not_allowed"], {"destination_not_allowed": {"error": "destination_not_allowed"}}),
    "500": ciam_err("Internal fault.", ["server_error"], {"server_error": {"error": "server_error"}}),
    "503": ciam_err("Delivery failed.", ["temporarily_unavailable"], {"temporarily_unavailable": {"error": "temporarily_unavailable", "error_description": "Failed to send OTP. Please try again later."}}, retry=True),
  }}}
ciam_token = {"post": {
  "operationId": "ciamToken", "tags": ["Tencent Cloud CIAM"], "summary": "CIAM: exchange otp_token + otp for an access token (OTP grant types)",
  "security": [{}, {"basic": []}],
  "requestBody": {"required": True, "content": {**content(ref("CiamTokenRequest"), example={
      "grant_type": "http://tencentciam.com/oauth2/grant-type/otp/sms", "client_id": "TENANT_CLIENT_ID", "otp_token": "AQEAZWQxAAAAAGV0ZXN0...", "otp": "123456", "phone_number": "13800138000"}),
      "application/x-www-form-urlencoded": {"schema": ref("CiamTokenRequest")}}},
  "responses": {
    "200": resp("Verified.", ref("CiamTokenResponse"), example={"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln", "token_type": "Bearer", "expires_in": 300}),
    "400": ciam_err("RFC 6749 section 5.2 errors.", ["invalid_grant","invalid_request","unsupported_grant_type"], {"invalid_grant": {"error": "invalid_grant", "error_description": "The OTP is incorrect; 4 attempts remain."}}),
    "401": ciam_err("Unknown client.", ["invalid_client"], {"invalid_client": {"error": "invalid_client", "error_description": "Client authentication failed."}}),
    "429": ciam_err("The failure budget is spent or the store is busy.", ["slow_down"], {"slow_down": {"error": "slow_down", "error_description": "Too many requests; retry later."}}, retry=True),
    "500": ciam_err("Internal fault.", ["server_error"], {"server_error": {"error": "server_error", "error_description": "Internal error."}}),
    "503": ciam_err("Store unavailable.", ["temporarily_unavailable"], {"temporarily_unavailable": {"error": "temporarily_unavailable", "error_description": "Temporarily unavailable; retry later."}}, retry=True),
  }}}

# ---- Huawei Meeting
def usg_err(desc, codes, examples, retry=False):
    return resp(desc, {"allOf": [ref("HuaweiError"), {"properties": {"error_code": {"enum": codes}}}]}, examples=examples, headers=RETRY if retry else RID)
MEET_HEADERS = [
  {"name": "X-Request-Id", "in": "header", "required": False, "schema": {"type": "string"}, "description": "Echoed when 1–128 visible ASCII characters."},
  {"name": "Accept-Language", "in": "header", "required": False, "schema": {"type": "string"}, "description": "zh-CN (default) or en-US."}]
meeting_send = {"post": {
  "operationId": "meetingSendVerifyCode", "tags": ["Huawei Cloud Meeting"], "summary": "Meeting: send an SMS or email verification code (seed 000)",
  "security": [{}, {"basic": []}, {"bearer": []}],
  "parameters": MEET_HEADERS,
  "requestBody": {"required": True, "content": content(ref("MeetingSendRequest"), example={"token": "R7PE9vsaEUHjiLsraWTF3WQhmBet16SbI", "user": "+8613612349209"})},
  "responses": {
    "200": resp("Sent.", ref("MeetingSendResponse"), example={"expire": 600, "bindPhone": "+86136****9209", "bindEmail": None}),
    "400": usg_err("Invalid parameters, user, rate limits.", ["USG.INVALID_PARAMETER","USG.INVALID_USER","USG.SEND_TOO_FREQUENT","USG.USER_NOT_FOUND","USG.USER_STATE"], {
        "USG.SEND_TOO_FREQUENT": {"error_code": "USG.SEND_TOO_FREQUENT", "error_msg": "发送过于频繁，请稍后重试"},
        "USG.INVALID_USER": {"error_code": "USG.INVALID_USER", "error_msg": "手机号或邮箱格式错误"}}, retry=True),
    "401": usg_err("Authentication failed.", ["USG.UNAUTHORIZED"], {"USG.UNAUTHORIZED": {"error_code": "USG.UNAUTHORIZED", "error_msg": "鉴权失败"}}),
    "403": usg_err("Captcha needed or refused; destination not allowed.", ["USG.CAPTCHA_REQUIRED","USG.CAPTCHA_INVALID","USG.DESTINATION_NOT_ALLOWED"], {"USG.CAPTCHA_REQUIRED": {"error_code": "USG.CAPTCHA_REQUIRED", "error_msg": "需要先完成图形验证"}}),
    "500": usg_err("Delivery failed or a server fault.", ["USG.SEND_FAILED","USG.SERVER_ERROR"], {"USG.SEND_FAILED": {"error_code": "USG.SEND_FAILED", "error_msg": "验证码发送失败，请稍后重试"}}, retry=True),
  }}}
meeting_check = {"put": {
  "operationId": "meetingCheckVerifyCode", "tags": ["Huawei Cloud Meeting"], "summary": "Meeting: check the latest pending code of a user (seed 001)",
  "security": [{}, {"basic": []}, {"bearer": []}],
  "parameters": MEET_HEADERS,
  "requestBody": {"required": True, "content": content(ref("MeetingCheckRequest"), example={"code": "123456", "user": "+8613612349209"})},
  "responses": {
    "200": resp("Verified.", ref("MeetingCheckResponse"), example={"token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2ln", "expire": 300}),
    "400": usg_err("Wrong, expired or used code; no pending code.", ["USG.INVALID_PARAMETER","USG.INVALID_USER","USG.INVALID_VERIFY_CODE","USG.NO_PENDING_CODE","USG.VERIFY_CODE_EXPIRED","USG.VERIFY_CODE_USED","USG.TOO_MANY_ATTEMPTS","USG.SEND_TOO_FREQUENT","USG.USER_NOT_FOUND"], {
        "USG.INVALID_VERIFY_CODE": {"error_code": "USG.INVALID_VERIFY_CODE", "error_msg": "验证码错误"}}, retry=True),
    "401": usg_err("Authentication failed.", ["USG.UNAUTHORIZED"], {"USG.UNAUTHORIZED": {"error_code": "USG.UNAUTHORIZED", "error_msg": "鉴权失败"}}),
    "403": usg_err("Insufficient permissions.", ["USG.DESTINATION_NOT_ALLOWED"], {"USG.DESTINATION_NOT_ALLOWED": {"error_code": "USG.DESTINATION_NOT_ALLOWED", "error_msg": "不支持向该号码或邮箱发送"}}),
    "500": usg_err("Server fault.", ["USG.SERVER_ERROR"], {"USG.SERVER_ERROR": {"error_code": "USG.SERVER_ERROR", "error_msg": "服务器异常"}}, retry=True),
  }}}

# ---- BSS
def cbc_err(desc, codes, examples, retry=False):
    return resp(desc, {"allOf": [ref("HuaweiError"), {"properties": {"error_code": {"enum": codes}}}]}, examples=examples, headers=RETRY if retry else RID)
bss_send = {"post": {
  "operationId": "bssSendVerificationCode", "tags": ["Huawei Cloud BSS"], "summary": "BSS: send a registration code to an email (seed 002)",
  "security": [{"bssToken": []}, {"huaweiAkSk": []}],
  "requestBody": {"required": True, "content": content(ref("BssSendRequest"), example={"receiver_type": 2, "timeout": 5, "email": "user@example.com", "lang": "en-us"})},
  "responses": {
    "204": {"description": "Sent.", "headers": RID},
    "400": cbc_err("Parameter errors, limits, delivery failure.", ["CBC.0100","CBC.99004004","CBC.99004015","CBC.99004003","CBC.99004002"], {
        "CBC.99004015": {"error_code": "CBC.99004015", "error_msg": "The number of verification code sending times has reached the upper limit (15 times per hour, 60 times per day)."},
        "CBC.0100": {"error_code": "CBC.0100", "error_msg": "Parameter error."}}, retry=True),
    "401": cbc_err("Invalid or expired token.", ["CBC.0154"], {"CBC.0154": {"error_code": "CBC.0154", "error_msg": "Invalid or expired token."}}),
    "403": cbc_err("Access denied.", ["CBC.0151"], {"CBC.0151": {"error_code": "CBC.0151", "error_msg": "Access denied."}}),
    "500": cbc_err("Other errors.", ["CBC.0999"], {"CBC.0999": {"error_code": "CBC.0999", "error_msg": "Other errors."}}),
  }}}

E164 = "Phone (E.164 or national with a + prefix; spaces, dashes, parentheses accepted) or email address."
schemas = {
  "Error": {"type": "object", "required": ["error","message","request_id"], "properties": {
      "error": {"type": "string", "enum": NATIVE_CODES}, "message": {"type": "string"}, "request_id": {"type": "string"},
      "field": {"type": "string"}, "retry_after": {"type": "integer", "minimum": 0}, "attempts_remaining": {"type": "integer", "minimum": 0}},
      "additionalProperties": False},
  "Channel": {"type": "string", "enum": ["sms","email"]},
  "Purpose": {"type": "string", "enum": ["login","signup","reset_password","update_userinfo"]},
  "SendRequest": {"type": "object", "required": ["to"], "additionalProperties": False, "properties": {
      "to": {"type": "string", "minLength": 1, "maxLength": 320, "description": E164},
      "channel": ref("Channel"), "purpose": ref("Purpose"),
      "locale": {"type": "string", "enum": ["en-US","zh-CN","es","fr","de","pt-BR","ja","ko","ar","ru","hi","id","vi","tr"], "description": "Language of the message. When absent: the phone number's calling code, then `Accept-Language`, then `DEFAULT_LOCALE`."},
      "ttl": {"type": "integer", "minimum": 0, "maximum": 4294967295, "description": "Seconds, clamped to the configured range."}}},
  "StatusResponse": {"type": "object", "required": ["verification_id","status","attempts_remaining","channel","to","purpose","expires_in"], "additionalProperties": False, "properties": {
      "verification_id": {"type": "string"}, "status": {"type": "string", "enum": ["pending","approved","expired","canceled","exhausted"]},
      "attempts_remaining": {"type": "integer", "minimum": 0}, "channel": ref("Channel"), "to": {"type": "string", "description": "Masked destination."},
      "purpose": ref("Purpose"), "expires_in": {"type": "integer", "minimum": 0}}},
  "SendResponse": {"type": "object", "required": ["verification_id","channel","to","purpose","expires_in","resend_after","attempts_allowed","code_length"], "additionalProperties": False, "properties": {
      "code_length": {"type": "integer", "minimum": 6, "maximum": 10, "description": "Digits in the code."},
      "verification_id": {"type": "string", "maxLength": 1024}, "channel": ref("Channel"), "to": {"type": "string", "description": "Masked destination."},
      "purpose": ref("Purpose"), "expires_in": {"type": "integer", "minimum": 1}, "resend_after": {"type": "integer", "minimum": 0}, "attempts_allowed": {"type": "integer", "minimum": 1}}},
  "CheckRequest": {"type": "object", "required": ["verification_id","code"], "additionalProperties": False, "properties": {
      "verification_id": {"type": "string"}, "code": {"type": "string"}, "to": {"type": "string"}, "purpose": ref("Purpose")}},
  "CheckResponse": {"type": "object", "required": ["status","verified_token","expires_in","channel","to","purpose"], "additionalProperties": False, "properties": {
      "status": {"const": "approved"}, "verified_token": {"type": "string", "description": "JWT signed with EdDSA (keys at /.well-known/jwks.json; HS256 with JWT_ALG = HS256): iss, aud, azp (the client), sub (the canonical destination), purpose, channel, amr, iat, exp, jti."},
      "expires_in": {"type": "integer"}, "channel": ref("Channel"), "to": {"type": "string"}, "purpose": ref("Purpose")}},
  "CloudBaseError": {"type": "object", "required": ["error","error_code","error_description"], "additionalProperties": False, "properties": {
      "error": {"type": "string"}, "error_code": {"type": "integer"}, "error_description": {"type": "string"}}},
  "CloudBaseSendRequest": {"type": "object", "required": ["target"], "additionalProperties": {"type": ["string", "number", "boolean", "null"]}, "description": "Members not listed here are ignored, as the vendor's API does.", "properties": {
      "phone_number": {"type": "string", "description": "`+86 ` followed by the mainland number. Exactly one of phone_number and email."},
      "email": {"type": "string"}, "target": {"type": "string", "enum": ["ANY","USER","NOT_USER"]}, "client_id": {"type": "string"}}},
  "CloudBaseSendResponse": {"type": "object", "required": ["verification_id","expires_in"], "additionalProperties": False, "properties": {
      "verification_id": {"type": "string"}, "expires_in": {"type": "integer"}, "is_user": {"type": "boolean"}}},
  "CloudBaseVerifyRequest": {"type": "object", "required": ["verification_id","verification_code"], "additionalProperties": {"type": ["string", "number", "boolean", "null"]}, "description": "Members not listed here are ignored, as the vendor's API does.", "properties": {
      "verification_id": {"type": "string"}, "verification_code": {"type": "string"}, "client_id": {"type": "string"}}},
  "CloudBaseVerifyResponse": {"type": "object", "required": ["verification_token","expires_in"], "additionalProperties": False, "properties": {
      "verification_token": {"type": "string"}, "expires_in": {"type": "integer"}}},
  "OAuthError": {"type": "object", "required": ["error"], "additionalProperties": False, "properties": {
      "error": {"type": "string"}, "error_description": {"type": "string"}}},
  "CiamSendRequest": {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean", "null"]}, "description": "Members not listed here are ignored, as the vendor's API does.", "properties": {
      "usage": {"type": "string", "enum": ["login","signup","update_userinfo","reset_password"]},
      "phone_number": {"type": "string", "description": "11-digit mainland number. Exactly one of phone_number and email."},
      "email": {"type": "string"}, "auth_source_id": {"type": "string"}}},
  "CiamSendResponse": {"type": "object", "required": ["otp_token"], "additionalProperties": False, "properties": {"otp_token": {"type": "string"}}},
  "CiamTokenRequest": {"type": "object", "required": ["grant_type","otp_token","otp"], "additionalProperties": {"type": ["string", "number", "boolean", "null"]}, "description": "Members not listed here are ignored, as the vendor's API does.", "properties": {
      "grant_type": {"type": "string", "enum": ["http://tencentciam.com/oauth2/grant-type/otp/sms","http://tencentciam.com/oauth2/grant-type/otp/email"]},
      "client_id": {"type": "string"}, "client_secret": {"type": "string", "description": "Client authentication in the body (RFC 6749 section 2.3.1), instead of Basic."},
      "otp_token": {"type": "string"}, "otp": {"type": "string"}, "phone_number": {"type": "string"}, "email": {"type": "string"},
      "auth_source_id": {"type": "string", "description": "Accepted and not used (the code's shape was set at send)."}}},
  "CiamTokenResponse": {"type": "object", "required": ["access_token","token_type","expires_in"], "additionalProperties": False, "properties": {
      "access_token": {"type": "string"}, "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"}}},
  "HuaweiError": {"type": "object", "required": ["error_code","error_msg"], "additionalProperties": False, "properties": {
      "error_code": {"type": "string"}, "error_msg": {"type": "string"}}},
  "MeetingSendRequest": {"type": "object", "required": ["user"], "additionalProperties": {"type": ["string", "number", "boolean", "null"]}, "description": "Members not listed here are ignored, as the vendor's API does.", "properties": {
      "user": {"type": "string", "description": "Mobile number, email address, or an account name (resolved through the user directory)."},
      "sendMethod": {"type": "string", "enum": ["sms","email"], "description": "Absent: email for an email user, else sms."}, "token": {"type": "string", "description": "Captcha token."}}},
  "MeetingSendResponse": {"type": "object", "required": ["expire","bindPhone","bindEmail"], "additionalProperties": False, "properties": {
      "expire": {"type": "integer"}, "bindPhone": {"type": ["string","null"]}, "bindEmail": {"type": ["string","null"]}}},
  "MeetingCheckRequest": {"type": "object", "required": ["code","user"], "additionalProperties": {"type": ["string", "number", "boolean", "null"]}, "description": "Members not listed here are ignored, as the vendor's API does.", "properties": {
      "code": {"type": "string", "minLength": 1, "maxLength": 32}, "user": {"type": "string"}}},
  "MeetingCheckResponse": {"type": "object", "required": ["token","expire"], "additionalProperties": False, "properties": {
      "token": {"type": "string"}, "expire": {"type": "integer"}}},
  "BssSendRequest": {"type": "object", "required": ["receiver_type","email"], "additionalProperties": {"type": ["string", "number", "boolean", "null"]}, "description": "Members not listed here are ignored, as the vendor's API does.", "properties": {
      "receiver_type": {"type": "integer", "enum": [2]}, "email": {"type": "string", "maxLength": 64},
      "timeout": {"type": ["integer","null"], "minimum": 1, "maximum": 3000, "description": "Minutes, up to 60 honoured; absent or null: 10; above 60: 5."},
      "lang": {"type": "string", "enum": ["zh-cn","en-us","zh-CN","en-US"]},
      "scene": {"type": "string"}, "customer_id": {"type": "string"}, "mobile_phone": {"type": ["string","null"]}}},
}

doc = {
 "openapi": "3.1.0",
 "info": {"title": "edge-otp", "version": "0.1.0", "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
   "description": "One-time verification codes at the edge: the native API and drop-in dialects of Huawei Cloud Meeting and BSS, Tencent CloudBase and Tencent Cloud CIAM. Every response carries `Cache-Control: no-store` and `X-Request-Id`."},
 "servers": [{"url": "/"}],
 "tags": [{"name": "native"}, {"name": "Tencent CloudBase"}, {"name": "Tencent Cloud CIAM"}, {"name": "Huawei Cloud Meeting"}, {"name": "Huawei Cloud BSS"}],
 "components": {
   "schemas": schemas,
   "headers": {
     "X-Request-Id": {"description": "The client's X-Request-Id when 1–128 visible ASCII characters, else a generated one.", "schema": {"type": "string"}},
     "Retry-After": {"description": "Seconds to wait (rate limits, unavailability).", "schema": {"type": "string", "pattern": "^[0-9]+$"}}},
   "securitySchemes": {
     "basic": {"type": "http", "scheme": "basic", "description": "A client of `CLIENTS` (`id:secret`); CIAM URL-encodes both parts."},
     "bearer": {"type": "http", "scheme": "bearer", "description": "An API key of `CLIENTS`."},
     "bssToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token", "description": "One of `BSS_AUTH_TOKENS`."},
     "huaweiAkSk": {"type": "apiKey", "in": "header", "name": "Authorization", "description": "`SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…` with `X-Sdk-Date`: Huawei's AK/SK request signature with a pair of `BSS_ACCESS_KEYS`."}},
 },
 "paths": {
   "/": page, "/openapi.json": openapi_doc, "/healthz": health, "/.well-known/jwks.json": jwks,
   "/v1/verifications": send, "/v1/verifications/check": check,
   "/v1/verifications/{id}": status_op, "/v1/verifications/{id}/cancel": cancel_op,
   "/auth/v1/verification": cloudbase_send, "/auth/v1/verification/verify": cloudbase_verify,
   "/otp/send": ciam_send, "/oauth2/token": ciam_token,
   "/v1/usg/acs/verifycode/send": meeting_send, "/v1/usg/acs/verifycode/check": meeting_check,
   "/v2/bases/verificationcode/send": bss_send,
 },
}
json.dump(doc, open(sys.argv[1], "w"), ensure_ascii=False, separators=(",", ":"))
