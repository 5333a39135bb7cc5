//! `GET /openapi.json`: the OpenAPI 3.1 document of every route, native and
//! dialects. `openapi/openapi.py` writes `src/openapi.json`; the test command checks
//! the committed file is what the generator writes, and the e2e suite runs
//! schemathesis against the served document.

pub const DOCUMENT: &str = include_str!("openapi.json");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surface::api::Route;
    use crate::surface::dialect::DialectRoute;
    use serde_json::Value;

    #[test]
    fn every_route_is_documented_with_its_method() {
        let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths = doc["paths"].as_object().unwrap();
        for (path, operations) in paths {
            let methods: Vec<&String> = operations.as_object().unwrap().keys().collect();
            assert_eq!(methods.len(), 1, "{path}");
            let method = methods[0].to_ascii_uppercase();
            let path = path.replace("{id}", "AQIDBA");
            assert!(
                Route::resolve(&method, &path).is_ok(),
                "{method} {path} is documented but not served"
            );
        }
        let served = [
            "/",
            "/openapi.json",
            "/healthz",
            "/.well-known/jwks.json",
            "/v1/verifications",
            "/v1/verifications/check",
            "/v1/verifications/{id}",
            "/v1/verifications/{id}/cancel",
        ];
        let dialects = [
            "/auth/v1/verification",
            "/auth/v1/verification/verify",
            "/otp/send",
            "/oauth2/token",
            "/v1/usg/acs/verifycode/send",
            "/v1/usg/acs/verifycode/check",
            "/v2/bases/verificationcode/send",
        ];
        for path in served.iter().chain(&dialects) {
            assert!(
                paths.contains_key(*path),
                "{path} is served but not documented"
            );
        }
        for path in dialects {
            assert!(DialectRoute::resolve(path).is_some(), "{path}");
        }
        assert_eq!(paths.len(), served.len() + dialects.len());
    }

    #[test]
    fn every_error_code_is_documented() {
        use crate::service::error::ApiError;
        let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
        let codes = &doc["components"]["schemas"]["Error"]["properties"]["error"]["enum"];
        let errors = [
            ApiError::invalid_field("to", "x"),
            ApiError::InvalidPhoneNumber,
            ApiError::InvalidEmail,
            ApiError::InvalidCode {
                attempts_remaining: 1,
            },
            ApiError::InvalidVerification,
            ApiError::Unauthorized,
            ApiError::CaptchaRequired,
            ApiError::CaptchaInvalid,
            ApiError::DestinationNotAllowed,
            ApiError::UserNotFound,
            ApiError::UserExists,
            ApiError::IdempotencyKeyReused,
            ApiError::NotFound,
            ApiError::MethodNotAllowed { allow: "GET" },
            ApiError::AlreadyUsed,
            ApiError::Expired,
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType,
            ApiError::RateLimited { retry_after: 1 },
            ApiError::TooManyAttempts,
            ApiError::DeliveryUnavailable { retry_after: 1 },
            ApiError::ServiceUnavailable { retry_after: 1 },
            ApiError::Internal,
        ];
        for error in errors {
            assert!(
                codes
                    .as_array()
                    .unwrap()
                    .contains(&Value::from(error.code())),
                "{}",
                error.code()
            );
        }
    }
}
