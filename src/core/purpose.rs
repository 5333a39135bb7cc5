//! What a code is for. A code issued for one purpose never verifies for another.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Login,
    Signup,
    ResetPassword,
    UpdateUserinfo,
}

impl Purpose {
    pub const ALL: [Purpose; 4] = [
        Purpose::Login,
        Purpose::Signup,
        Purpose::ResetPassword,
        Purpose::UpdateUserinfo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Signup => "signup",
            Purpose::ResetPassword => "reset_password",
            Purpose::UpdateUserinfo => "update_userinfo",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Stable wire number inside tokens.
    pub fn to_byte(self) -> u8 {
        match self {
            Purpose::Login => 1,
            Purpose::Signup => 2,
            Purpose::ResetPassword => 3,
            Purpose::UpdateUserinfo => 4,
        }
    }

    pub fn from_byte(b: u8) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.to_byte() == b)
    }
}
