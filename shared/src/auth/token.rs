//! Access tokens: HS256 JWTs whose header names the key (`kid`).
//!
//! The signing secret holds a list of keys; the first signs, all verify. Rotation is:
//! put a new key first, keep the old one second until every token it signed expired.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Auth, Role};

const ISSUER: &str = "kairos";
const AUDIENCE: &str = "kairos-api";

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub bid: Uuid,
    pub role: Role,
    pub iat: u64,
    pub exp: u64,
    pub iss: String,
    pub aud: String,
    /// The session (refresh token family) this token was issued in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// The claims of a link token: a signed, expiring capability for one thing (an
/// appointment to manage, a waitlist offer to claim), sent to a customer.
#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    /// What the link is for; part of the audience so a token for one purpose is useless
    /// for another.
    aud: String,
    sub: Uuid,
    bid: Uuid,
    exp: u64,
    iss: String,
}

#[derive(Deserialize)]
struct SecretShape {
    keys: Vec<SecretKey>,
}

#[derive(Deserialize)]
struct SecretKey {
    kid: String,
    /// Base64 of at least 32 random bytes.
    secret: String,
}

pub struct SigningKeys {
    current_kid: String,
    current: EncodingKey,
    verify: HashMap<String, DecodingKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing secret is not {{\"keys\":[{{\"kid\",\"secret\"}}]}}: {0}")]
    Shape(#[from] serde_json::Error),
    #[error("signing secret has no keys")]
    Empty,
    #[error("key {0} is not base64 of at least 32 bytes")]
    Weak(String),
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token header has no known key id")]
    UnknownKey,
    #[error("token expired")]
    Expired,
    #[error("token rejected: {0}")]
    Invalid(#[from] jsonwebtoken::errors::Error),
}

impl SigningKeys {
    pub fn from_secret_json(raw: &str) -> Result<SigningKeys, KeyError> {
        let shape: SecretShape = serde_json::from_str(raw)?;
        let mut verify = HashMap::new();
        let mut first = None;
        for key in shape.keys {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(key.secret.trim())
                .ok()
                .filter(|b| b.len() >= 32)
                .ok_or_else(|| KeyError::Weak(key.kid.clone()))?;
            if first.is_none() {
                first = Some((key.kid.clone(), EncodingKey::from_secret(&bytes)));
            }
            verify.insert(key.kid, DecodingKey::from_secret(&bytes));
        }
        let (current_kid, current) = first.ok_or(KeyError::Empty)?;
        Ok(SigningKeys { current_kid, current, verify })
    }

    /// A signed access token for this identity, issued at `now` and valid for `ttl`.
    pub fn issue(&self, auth: &Auth, ttl: Duration, now: DateTime<Utc>) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue_until(auth, epoch(now) + ttl.as_secs(), now)
    }

    /// A signed access token for this identity, issued at `now`, that expires at `exp`
    /// (epoch seconds).
    pub fn issue_until(
        &self,
        auth: &Auth,
        exp: u64,
        now: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: auth.user_id,
            bid: auth.business_id,
            role: auth.role,
            iat: epoch(now).min(exp),
            exp,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sid: auth.session_id,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current_kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.current)
    }

    /// The identity in a token, if its signature, key id, issuer, audience and expiry
    /// (at `now`) hold.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Auth, TokenError> {
        let header = jsonwebtoken::decode_header(token)?;
        let key = header.kid.as_deref().and_then(|kid| self.verify.get(kid)).ok_or(TokenError::UnknownKey)?;
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation(AUDIENCE))?;
        unexpired(data.claims.exp, now)?;
        Ok(Auth {
            business_id: data.claims.bid,
            user_id: data.claims.sub,
            role: data.claims.role,
            session_id: data.claims.sid,
        })
    }
}

impl SigningKeys {
    /// A link token for `subject` of `business_id`, valid until `expires` (epoch seconds).
    pub fn issue_link(
        &self,
        purpose: &str,
        business_id: Uuid,
        subject: Uuid,
        expires: u64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = LinkClaims {
            aud: format!("kairos-link:{purpose}"),
            sub: subject,
            bid: business_id,
            exp: expires,
            iss: ISSUER.into(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current_kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.current)
    }

    /// `(business_id, subject)` of a link token for `purpose` that is valid at `now`.
    pub fn verify_link(&self, purpose: &str, token: &str, now: DateTime<Utc>) -> Result<(Uuid, Uuid), TokenError> {
        let header = jsonwebtoken::decode_header(token)?;
        let key = header.kid.as_deref().and_then(|kid| self.verify.get(kid)).ok_or(TokenError::UnknownKey)?;
        let data = jsonwebtoken::decode::<LinkClaims>(token, key, &validation(&format!("kairos-link:{purpose}")))?;
        unexpired(data.claims.exp, now)?;
        Ok((data.claims.bid, data.claims.sub))
    }
}

/// Signature, issuer and audience. Expiry is checked against the application's clock
/// (`unexpired`), not the library's reading of the system clock: one clock for every rule.
#[allow(clippy::disallowed_methods)] // validate_exp is turned off below
fn validation(audience: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    validation.validate_exp = false;
    validation.required_spec_claims = ["exp", "iss", "aud"].iter().map(|c| c.to_string()).collect();
    validation
}

/// Seconds of clock difference between the issuer and the verifier that are forgiven.
const LEEWAY_SECONDS: i64 = 5;

fn unexpired(exp: u64, now: DateTime<Utc>) -> Result<(), TokenError> {
    let exp = i64::try_from(exp).unwrap_or(i64::MAX);
    if exp.saturating_add(LEEWAY_SECONDS) < now.timestamp() { Err(TokenError::Expired) } else { Ok(()) }
}

fn epoch(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[(&str, u8)]) -> SigningKeys {
        let keys: Vec<_> = list
            .iter()
            .map(|(kid, fill)| {
                serde_json::json!({"kid": kid, "secret": base64::engine::general_purpose::STANDARD.encode([*fill; 32])})
            })
            .collect();
        SigningKeys::from_secret_json(&serde_json::json!({ "keys": keys }).to_string()).unwrap()
    }

    fn someone() -> Auth {
        Auth {
            business_id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            role: Role::Owner,
            session_id: Some(Uuid::now_v7()),
        }
    }

    /// Tests run on a clock of their own: nothing here reads the system's.
    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn verifies_own_tokens_and_rotated_ones() {
        let now = at("2030-01-01T00:00:00Z");
        let old = keys(&[("k1", 1)]);
        let rotated = keys(&[("k2", 2), ("k1", 1)]);
        let who = someone();
        let token = old.issue(&who, Duration::from_secs(60), now).unwrap();
        assert_eq!(rotated.verify(&token, now).unwrap(), who);
        let new_token = rotated.issue(&who, Duration::from_secs(60), now).unwrap();
        assert!(matches!(old.verify(&new_token, now), Err(TokenError::UnknownKey)));
    }

    #[test]
    fn expiry_is_read_on_the_callers_clock() {
        let issued = at("2020-06-01T12:00:00Z");
        let k = keys(&[("k1", 1)]);
        let who = someone();
        let token = k.issue(&who, Duration::from_secs(60), issued).unwrap();
        // Valid for its minute (and the leeway) on the clock it was issued by, whatever the
        // system's clock says; expired after.
        assert!(k.verify(&token, issued + chrono::Duration::seconds(64)).is_ok());
        assert!(matches!(k.verify(&token, issued + chrono::Duration::seconds(66)), Err(TokenError::Expired)));
        let link = k.issue_link("manage", who.business_id, who.user_id, epoch(issued) + 60).unwrap();
        assert!(k.verify_link("manage", &link, issued).is_ok());
        assert!(matches!(
            k.verify_link("manage", &link, issued + chrono::Duration::minutes(2)),
            Err(TokenError::Expired)
        ));
    }

    #[test]
    fn link_tokens_are_bound_to_their_purpose() {
        let now = at("2030-01-01T00:00:00Z");
        let k = keys(&[("k1", 1)]);
        let (b, s) = (Uuid::now_v7(), Uuid::now_v7());
        let exp = epoch(now) + 60;
        let token = k.issue_link("manage", b, s, exp).unwrap();
        assert_eq!(k.verify_link("manage", &token, now).unwrap(), (b, s));
        assert!(k.verify_link("waitlist", &token, now).is_err());
        assert!(k.verify(&token, now).is_err(), "a link is not an access token");
        let access = k.issue(&someone(), Duration::from_secs(60), now).unwrap();
        assert!(k.verify_link("manage", &access, now).is_err(), "an access token is not a link");
        let expired = k.issue_link("manage", b, s, 10).unwrap();
        assert!(k.verify_link("manage", &expired, now).is_err());
    }

    #[test]
    fn refuses_expired_tampered_and_foreign_tokens() {
        let now = at("2030-01-01T00:00:00Z");
        let k = keys(&[("k1", 1)]);
        let who = someone();
        let mut claims = Claims {
            sub: who.user_id,
            bid: who.business_id,
            role: Role::Owner,
            iat: 0,
            exp: 10,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sid: None,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some("k1".into());
        let expired = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&[1; 32])).unwrap();
        assert!(k.verify(&expired, now).is_err());
        claims.exp = epoch(now) + 60;
        let good = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&[1; 32])).unwrap();
        assert!(k.verify(&good, now).is_ok());
        let wrong_key = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&[9; 32])).unwrap();
        assert!(k.verify(&wrong_key, now).is_err());
        claims.aud = "someone-else".into();
        let wrong_aud = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&[1; 32])).unwrap();
        assert!(k.verify(&wrong_aud, now).is_err());
    }
}
