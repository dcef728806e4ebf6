//! OAuth 2.0 for a web-server app: the authorization request, codes with PKCE (S256),
//! grants with refresh tokens, access tokens, and revocation.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::error::OAuthError;
use crate::ids::random_string;
use crate::{CLIENT_ID, CLIENT_SECRET};

/// Codes are good for ten minutes, access tokens for 3599 seconds.
const CODE_LIFETIME: i64 = 600;
pub(crate) const ACCESS_LIFETIME: i64 = 3599;

/// A checked authorization request.
#[derive(Debug, Clone)]
pub(crate) struct AuthRequest {
    pub redirect_uri: String,
    state: Option<String>,
    scope: String,
    challenge: String,
    offline: bool,
    pub login_hint: Option<String>,
}

impl AuthRequest {
    /// Reads an authorization URL (or only its query) and refuses what Google would refuse.
    pub fn parse(url: &str) -> Result<AuthRequest, String> {
        let query = url.split_once('?').map_or(url, |(_, query)| query);
        let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let get = |name: &str| params.get(name).map(String::as_str).filter(|v| !v.is_empty());
        if get("client_id") != Some(CLIENT_ID) {
            return Err(format!("invalid_client: unknown client_id {:?}", get("client_id")));
        }
        if get("response_type") != Some("code") {
            return Err("invalid_request: response_type must be code".into());
        }
        let redirect_uri = get("redirect_uri").ok_or("invalid_request: missing redirect_uri")?;
        let loopback = ["http://127.0.0.1", "http://localhost"].iter().any(|host| {
            redirect_uri.strip_prefix(host).is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
        if !(loopback || redirect_uri.starts_with("https://")) || redirect_uri.contains('#') {
            return Err(format!("redirect_uri_mismatch: {redirect_uri} is not a registered redirect URI"));
        }
        let scope = get("scope").ok_or("invalid_request: missing scope")?;
        if get("code_challenge_method") != Some("S256") {
            return Err("invalid_request: code_challenge_method must be S256".into());
        }
        let challenge = get("code_challenge").ok_or("invalid_request: missing code_challenge")?;
        Ok(AuthRequest {
            redirect_uri: redirect_uri.to_owned(),
            state: params.get("state").cloned(),
            scope: scope.to_owned(),
            challenge: challenge.to_owned(),
            offline: get("access_type") == Some("offline"),
            login_hint: get("login_hint").map(str::to_owned),
        })
    }

    /// `{redirect_uri}?state=…&…`, with `pairs` after the echoed state.
    fn redirect(&self, pairs: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(state) = &self.state {
            query.append_pair("state", state);
        }
        query.extend_pairs(pairs);
        let separator = if self.redirect_uri.contains('?') { '&' } else { '?' };
        format!("{}{separator}{}", self.redirect_uri, query.finish())
    }

    /// The redirect after "Cancel".
    pub fn denied(&self) -> String {
        self.redirect(&[("error", "access_denied")])
    }
}

#[derive(Debug)]
struct Code {
    email: String,
    request: AuthRequest,
    issued: i64,
    used: bool,
}

/// One consent exchanged for tokens.
#[derive(Debug)]
pub(crate) struct Grant {
    pub email: String,
    pub scope: String,
    refresh_token: Option<String>,
    pub revoked: bool,
}

#[derive(Debug)]
struct Access {
    grant: usize,
    expires: i64,
}

#[derive(Debug, Default)]
pub(crate) struct OAuth {
    codes: HashMap<String, Code>,
    pub grants: Vec<Grant>,
    access: HashMap<String, Access>,
}

impl OAuth {
    /// The user consented: a new code, and the redirect that carries it.
    pub fn consent(&mut self, request: AuthRequest, email: &str, now: i64) -> String {
        let code = format!("4/0fake-{}", random_string(40));
        let redirect = request.redirect(&[("code", &code), ("scope", &request.scope)]);
        self.codes.insert(code, Code { email: email.to_owned(), request, issued: now, used: false });
        redirect
    }

    /// POST /token, with the form fields and the HTTP Basic credentials if any.
    pub fn token(
        &mut self,
        form: &HashMap<String, String>,
        basic: Option<&str>,
        now: i64,
    ) -> Result<Value, OAuthError> {
        let get = |name: &str| form.get(name).map(String::as_str);
        let grant_type = get("grant_type");
        if !matches!(grant_type, Some("authorization_code" | "refresh_token")) {
            return Err(OAuthError::new(400, "unsupported_grant_type", "Invalid grant_type"));
        }
        let (id, secret) = match basic.and_then(decode_basic) {
            Some((id, secret)) => (Some(id), Some(secret)),
            None => (get("client_id").map(str::to_owned), get("client_secret").map(str::to_owned)),
        };
        if id.as_deref() != Some(CLIENT_ID) || secret.as_deref() != Some(CLIENT_SECRET) {
            return Err(OAuthError::new(401, "invalid_client", "Unauthorized"));
        }
        if grant_type == Some("refresh_token") {
            return self.refresh(get("refresh_token").unwrap_or_default(), now);
        }
        let code = self.codes.get_mut(get("code").unwrap_or_default());
        let code = code.filter(|c| !c.used).ok_or(OAuthError::invalid_grant("Malformed auth code."))?;
        if now >= code.issued + CODE_LIFETIME {
            return Err(OAuthError::invalid_grant("Bad Request"));
        }
        if get("redirect_uri") != Some(code.request.redirect_uri.as_str()) {
            return Err(OAuthError::new(400, "redirect_uri_mismatch", "Bad Request"));
        }
        let verifier = get("code_verifier").unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != code.request.challenge {
            return Err(OAuthError::invalid_grant("Invalid code verifier."));
        }
        code.used = true;
        let refresh_token = code.request.offline.then(|| format!("1//fake-{}", random_string(48)));
        let grant = Grant {
            email: code.email.clone(),
            scope: code.request.scope.clone(),
            refresh_token: refresh_token.clone(),
            revoked: false,
        };
        self.grants.push(grant);
        let mut answer = self.new_access(self.grants.len() - 1, now);
        if let Some(token) = refresh_token {
            answer["refresh_token"] = json!(token);
        }
        Ok(answer)
    }

    fn refresh(&mut self, token: &str, now: i64) -> Result<Value, OAuthError> {
        let grant = self.grants.iter().position(|g| !g.revoked && g.refresh_token.as_deref() == Some(token));
        let grant = grant.ok_or(OAuthError::invalid_grant("Token has been expired or revoked."))?;
        Ok(self.new_access(grant, now))
    }

    fn new_access(&mut self, grant: usize, now: i64) -> Value {
        let token = format!("ya29.fake-{}", random_string(64));
        self.access.insert(token.clone(), Access { grant, expires: now + ACCESS_LIFETIME });
        let scope = &self.grants[grant].scope;
        json!({ "access_token": token, "expires_in": ACCESS_LIFETIME, "scope": scope, "token_type": "Bearer" })
    }

    /// POST /revoke: an access or refresh token ends its whole grant.
    pub fn revoke(&mut self, token: &str) -> Result<(), OAuthError> {
        let by_access = self.access.get(token).map(|a| a.grant);
        let grant = by_access.or_else(|| self.grants.iter().position(|g| g.refresh_token.as_deref() == Some(token)));
        match grant.and_then(|g| self.grants.get_mut(g)).filter(|g| !g.revoked) {
            Some(grant) => {
                grant.revoked = true;
                Ok(())
            }
            None => Err(OAuthError::new(400, "invalid_token", "Token expired or revoked")),
        }
    }

    /// The live grant behind a bearer token: `(email, scope)`.
    pub fn authenticate(&self, bearer: &str, now: i64) -> Option<(String, String)> {
        let access = self.access.get(bearer).filter(|a| now < a.expires)?;
        let grant = self.grants.get(access.grant).filter(|g| !g.revoked)?;
        Some((grant.email.clone(), grant.scope.clone()))
    }

    pub fn revoke_user(&mut self, email: &str) {
        self.grants.iter_mut().filter(|g| g.email == email).for_each(|g| g.revoked = true);
    }

    pub fn expire_access_tokens(&mut self, now: i64) {
        self.access.values_mut().for_each(|a| a.expires = a.expires.min(now));
    }
}

/// `Basic base64(id:secret)`, each part form-encoded as RFC 6749 asks.
fn decode_basic(header: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(STANDARD.decode(header.strip_prefix("Basic ")?.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(id)?, unescape(secret)?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn url(extra: &str) -> String {
        format!(
            "https://accounts.example/o/oauth2/v2/auth?client_id={CLIENT_ID}&response_type=code\
             &scope=openid&code_challenge=abc&code_challenge_method=S256{extra}"
        )
    }

    #[test]
    fn redirect_uris_are_checked() {
        assert!(AuthRequest::parse(&url("&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcb")).is_ok());
        assert!(AuthRequest::parse(&url("&redirect_uri=https%3A%2F%2Fapp.example%2Fcb")).is_ok());
        assert!(AuthRequest::parse(&url("&redirect_uri=http%3A%2F%2Fapp.example%2Fcb")).is_err());
        assert!(AuthRequest::parse(&url("&redirect_uri=http%3A%2F%2Flocalhost.evil%2Fcb")).is_err());
        assert!(AuthRequest::parse(&url("")).is_err());
    }

    #[test]
    fn state_is_echoed_verbatim() {
        let request =
            AuthRequest::parse(&url("&redirect_uri=https%3A%2F%2Fa.example%2Fcb%3Fx%3D1&state=a%20b%26c")).unwrap();
        assert_eq!(request.denied(), "https://a.example/cb?x=1&state=a+b%26c&error=access_denied");
    }

    #[test]
    fn basic_credentials_are_unescaped() {
        let header = format!("Basic {}", STANDARD.encode("id%3Ax:s%20t"));
        assert_eq!(decode_basic(&header), Some(("id:x".into(), "s t".into())));
    }
}
