//! The settings of the surfaces (the login page, CORS), parsed and checked here with
//! the rest of the configuration, so that `config` never imports a surface; the
//! surfaces read them.

use super::ConfigError;
use crate::core::text;

/// The page's settings: `LOGIN_PAGE`, `ACCENT_COLOR`, `TURNSTILE_SITE_KEY`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageConfig {
    pub enabled: bool,
    /// A CSS hex colour, `#rgb` or `#rrggbb`.
    pub accent: String,
    pub turnstile_site_key: Option<String>,
}

impl PageConfig {
    pub fn parse(
        enabled: Option<&str>,
        accent: Option<&str>,
        site_key: Option<&str>,
    ) -> Result<PageConfig, ConfigError> {
        let enabled = match enabled {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => return Err(ConfigError::new("LOGIN_PAGE", "must be on or off")),
        };
        let accent = accent.unwrap_or("#2563eb");
        let hex = accent.strip_prefix('#').unwrap_or("");
        if !matches!(hex.len(), 3 | 6) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ConfigError::new(
                "ACCENT_COLOR",
                "must be a hex colour like #2563eb",
            ));
        }
        let site_key = site_key.map(str::to_owned);
        if let Some(key) = &site_key {
            let ok = (1..=128).contains(&key.len())
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(ConfigError::new(
                    "TURNSTILE_SITE_KEY",
                    "must be letters, digits, - and _",
                ));
            }
        }
        Ok(PageConfig {
            enabled,
            accent: accent.to_ascii_lowercase(),
            turnstile_site_key: site_key,
        })
    }
}

/// `CORS_ALLOWED_ORIGINS`: exact origins, or `*` for any.
#[derive(Default)]
pub struct Cors {
    any: bool,
    origins: Vec<String>,
}

impl Cors {
    /// `Err(origin)` for an entry that is not `scheme://host[:port]`.
    pub fn parse(spec: Option<&str>) -> Result<Cors, String> {
        let mut cors = Cors {
            any: false,
            origins: Vec::new(),
        };
        for entry in text::entries(spec.unwrap_or("")) {
            match entry {
                "" => {}
                "*" => cors.any = true,
                origin
                    if (origin.starts_with("https://") || origin.starts_with("http://"))
                        && !origin.ends_with('/')
                        && !text::contains(text::without_scheme(origin), "/") =>
                {
                    cors.origins.push(origin.to_ascii_lowercase())
                }
                bad => return Err(bad.to_owned()),
            }
        }
        Ok(cors)
    }

    pub fn allows(&self, origin: &str) -> bool {
        self.any || self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin))
    }
}
