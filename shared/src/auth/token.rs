//! Access tokens: HS256 JWTs whose header names the key (`kid`).
//!
//! The signing secret holds a list of keys; the first signs, all verify. Rotation is:
//! put a new key first, keep the old one second until every token it signed expired.

use std::collections::HashMap;
use std::time::Duration;

use base64::Engine;
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

    /// A signed access token for this identity, valid for `ttl`.
    pub fn issue(&self, auth: &Auth, ttl: Duration) -> Result<String, jsonwebtoken::errors::Error> {
        self.issue_until(auth, jsonwebtoken::get_current_timestamp() + ttl.as_secs())
    }

    /// A signed access token for this identity that expires at `exp` (epoch seconds).
    pub fn issue_until(&self, auth: &Auth, exp: u64) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: auth.user_id,
            bid: auth.business_id,
            role: auth.role,
            iat: jsonwebtoken::get_current_timestamp().min(exp),
            exp,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sid: auth.session_id,
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current_kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.current)
    }

    /// The identity in a token, if its signature, key id, issuer, audience and expiry hold.
    pub fn verify(&self, token: &str) -> Result<Auth, TokenError> {
        let header = jsonwebtoken::decode_header(token)?;
        let key = header.kid.as_deref().and_then(|kid| self.verify.get(kid)).ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<Claims>(token, key, &validation)?;
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

    /// `(business_id, subject)` of a valid link token for `purpose`.
    pub fn verify_link(&self, purpose: &str, token: &str) -> Result<(Uuid, Uuid), TokenError> {
        let header = jsonwebtoken::decode_header(token)?;
        let key = header.kid.as_deref().and_then(|kid| self.verify.get(kid)).ok_or(TokenError::UnknownKey)?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[format!("kairos-link:{purpose}")]);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<LinkClaims>(token, key, &validation)?;
        Ok((data.claims.bid, data.claims.sub))
    }
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

    #[test]
    fn verifies_own_tokens_and_rotated_ones() {
        let old = keys(&[("k1", 1)]);
        let rotated = keys(&[("k2", 2), ("k1", 1)]);
        let who = someone();
        let token = old.issue(&who, Duration::from_secs(60)).unwrap();
        assert_eq!(rotated.verify(&token).unwrap(), who);
        let new_token = rotated.issue(&who, Duration::from_secs(60)).unwrap();
        assert!(matches!(old.verify(&new_token), Err(TokenError::UnknownKey)));
    }

    #[test]
    fn link_tokens_are_bound_to_their_purpose() {
        let k = keys(&[("k1", 1)]);
        let (b, s) = (Uuid::now_v7(), Uuid::now_v7());
        let exp = jsonwebtoken::get_current_timestamp() + 60;
        let token = k.issue_link("manage", b, s, exp).unwrap();
        assert_eq!(k.verify_link("manage", &token).unwrap(), (b, s));
        assert!(k.verify_link("waitlist", &token).is_err());
        assert!(k.verify(&token).is_err(), "a link is not an access token");
        let access = k.issue(&someone(), Duration::from_secs(60)).unwrap();
        assert!(k.verify_link("manage", &access).is_err(), "an access token is not a link");
        let expired = k.issue_link("manage", b, s, 10).unwrap();
        assert!(k.verify_link("manage", &expired).is_err());
    }

    #[test]
    fn refuses_expired_tampered_and_foreign_tokens() {
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
        assert!(k.verify(&expired).is_err());
        claims.exp = jsonwebtoken::get_current_timestamp() + 60;
        let wrong_key = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&[9; 32])).unwrap();
        assert!(k.verify(&wrong_key).is_err());
        claims.aud = "someone-else".into();
        let wrong_aud = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(&[1; 32])).unwrap();
        assert!(k.verify(&wrong_aud).is_err());
    }
}
