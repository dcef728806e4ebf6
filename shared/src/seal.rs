//! Envelope encryption for secrets the database must hold but never read, such as the
//! refresh token of a staff member's calendar connection.
//!
//! Each value gets its own random data key (AES-256-GCM). The data key is stored wrapped
//! by a master key, and the master keys live in Secrets Manager, never in PostgreSQL. So a
//! copy of the table is ciphertext only. Both layers are bound to a context (the row the
//! value belongs to), so a value copied into another row does not open there.
//!
//! The master secret lists its keys newest first: `{"keys": [{"kid": "k2", "secret":
//! base64 of 32 bytes}, {"kid": "k1", ...}]}`. Sealing uses the first key; opening finds
//! the key by its id. A rotation puts a new key first, [`rewrap`]s the stored data keys
//! (the values themselves stay as they are), then drops the old key.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

const KEY_LEN: usize = 32;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the master keys are not the expected JSON: {0}")]
    Keys(String),
    #[error("no master key {0}")]
    UnknownKey(String),
    /// Tampered, truncated, for another context, or under another key.
    #[error("the sealed value does not open")]
    DoesNotOpen,
    #[error("the system random source failed")]
    Random,
}

/// The master keys, current first.
pub struct MasterKeys {
    keys: Vec<(String, LessSafeKey)>,
}

impl std::fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("MasterKeys").field("ids", &ids).finish()
    }
}

#[derive(Deserialize)]
struct KeysJson {
    keys: Vec<KeyJson>,
}

#[derive(Deserialize)]
struct KeyJson {
    kid: String,
    secret: String,
}

impl MasterKeys {
    pub fn from_secret_json(json: &str) -> Result<MasterKeys, SealError> {
        let parsed: KeysJson = serde_json::from_str(json).map_err(|e| SealError::Keys(e.to_string()))?;
        let keys = parsed
            .keys
            .into_iter()
            .map(|k| {
                let bytes = STANDARD.decode(&k.secret).map_err(|e| SealError::Keys(format!("{}: {e}", k.kid)))?;
                Ok((k.kid.clone(), aes_key(&bytes).map_err(|_| SealError::Keys(format!("{}: not 32 bytes", k.kid)))?))
            })
            .collect::<Result<Vec<_>, SealError>>()?;
        if keys.is_empty() {
            return Err(SealError::Keys("no key".into()));
        }
        Ok(MasterKeys { keys })
    }

    fn current(&self) -> &(String, LessSafeKey) {
        &self.keys[0]
    }

    fn get(&self, id: &str) -> Result<&LessSafeKey, SealError> {
        self.keys.iter().find(|(k, _)| k == id).map(|(_, key)| key).ok_or_else(|| SealError::UnknownKey(id.into()))
    }
}

/// A sealed value as it is stored: which master key wrapped its data key, the wrapped data
/// key, and the value's ciphertext (each a nonce followed by the ciphertext and its tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub wrapped_key: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Seal `plaintext` for `context` (e.g. the connection's id) under the current master key.
pub fn seal(master: &MasterKeys, plaintext: &[u8], context: &[u8]) -> Result<Sealed, SealError> {
    let mut data_key = [0u8; KEY_LEN];
    aws_lc_rs::rand::fill(&mut data_key).map_err(|_| SealError::Random)?;
    let ciphertext = encrypt(&aes_key(&data_key)?, plaintext, context)?;
    let (key_id, wrapping) = master.current();
    let wrapped_key = encrypt(wrapping, &data_key, &wrap_context(key_id, context))?;
    Ok(Sealed { key_id: key_id.clone(), wrapped_key, ciphertext })
}

/// The plaintext of a value sealed for `context`.
pub fn open(master: &MasterKeys, sealed: &Sealed, context: &[u8]) -> Result<Vec<u8>, SealError> {
    let data_key = unwrap_key(master, sealed, context)?;
    decrypt(&aes_key(&data_key)?, &sealed.ciphertext, context)
}

/// The same value with its data key wrapped by the current master key (a rotation).
pub fn rewrap(master: &MasterKeys, sealed: &Sealed, context: &[u8]) -> Result<Sealed, SealError> {
    let data_key = unwrap_key(master, sealed, context)?;
    let (key_id, wrapping) = master.current();
    let wrapped_key = encrypt(wrapping, &data_key, &wrap_context(key_id, context))?;
    Ok(Sealed { key_id: key_id.clone(), wrapped_key, ciphertext: sealed.ciphertext.clone() })
}

fn unwrap_key(master: &MasterKeys, sealed: &Sealed, context: &[u8]) -> Result<Vec<u8>, SealError> {
    let wrapping = master.get(&sealed.key_id)?;
    decrypt(wrapping, &sealed.wrapped_key, &wrap_context(&sealed.key_id, context))
}

/// What a wrapped data key is bound to: its master key and the value's context.
fn wrap_context(key_id: &str, context: &[u8]) -> Vec<u8> {
    [b"kairos-data-key:".as_slice(), key_id.as_bytes(), b":", context].concat()
}

fn aes_key(bytes: &[u8]) -> Result<LessSafeKey, SealError> {
    let key = UnboundKey::new(&AES_256_GCM, bytes).map_err(|_| SealError::Keys("not a 256-bit key".into()))?;
    Ok(LessSafeKey::new(key))
}

/// A random nonce (each data key seals one value, so nonces never repeat under a key in
/// practice), then the ciphertext with its tag.
fn encrypt(key: &LessSafeKey, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| SealError::Random)?;
    let mut in_out = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut in_out)
        .map_err(|_| SealError::DoesNotOpen)?;
    Ok([nonce.as_slice(), &in_out].concat())
}

fn decrypt(key: &LessSafeKey, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
    if sealed.len() < NONCE_LEN {
        return Err(SealError::DoesNotOpen);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::DoesNotOpen)?;
    let mut in_out = ciphertext.to_vec();
    let plain = key.open_in_place(nonce, Aad::from(aad), &mut in_out).map_err(|_| SealError::DoesNotOpen)?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ids: &[&str]) -> MasterKeys {
        let keys: Vec<_> = ids
            .iter()
            .map(|id| serde_json::json!({"kid": id, "secret": STANDARD.encode([id.as_bytes()[1]; 32])}))
            .collect();
        MasterKeys::from_secret_json(&serde_json::json!({ "keys": keys }).to_string()).unwrap()
    }

    const TOKEN: &[u8] = b"1//0refresh-token-of-a-calendar";

    #[test]
    fn a_sealed_value_opens_for_its_context_only() {
        let master = keys(&["k1"]);
        let sealed = seal(&master, TOKEN, b"connection-a").unwrap();
        assert_eq!(open(&master, &sealed, b"connection-a").unwrap(), TOKEN);
        assert_eq!(open(&master, &sealed, b"connection-b"), Err(SealError::DoesNotOpen), "moved to another row");
        let stored = [sealed.wrapped_key.as_slice(), &sealed.ciphertext].concat();
        assert!(!stored.windows(TOKEN.len()).any(|w| w == TOKEN), "no plaintext in what is stored");
        assert_ne!(seal(&master, TOKEN, b"connection-a").unwrap(), sealed, "a fresh data key and nonce each time");
    }

    #[test]
    fn a_changed_byte_anywhere_does_not_open() {
        let master = keys(&["k1"]);
        let sealed = seal(&master, TOKEN, b"c").unwrap();
        for i in 0..sealed.ciphertext.len() {
            let mut bad = sealed.clone();
            bad.ciphertext[i] ^= 1;
            assert_eq!(open(&master, &bad, b"c"), Err(SealError::DoesNotOpen), "ciphertext byte {i}");
        }
        for i in 0..sealed.wrapped_key.len() {
            let mut bad = sealed.clone();
            bad.wrapped_key[i] ^= 1;
            assert_eq!(open(&master, &bad, b"c"), Err(SealError::DoesNotOpen), "wrapped key byte {i}");
        }
        let mut short = sealed.clone();
        short.ciphertext.truncate(5);
        assert_eq!(open(&master, &short, b"c"), Err(SealError::DoesNotOpen));
    }

    #[test]
    fn a_rotation_rewraps_the_data_key_and_the_old_key_can_then_go() {
        let old = keys(&["k1"]);
        let sealed = seal(&old, TOKEN, b"c").unwrap();
        let both = keys(&["k2", "k1"]);
        assert_eq!(open(&both, &sealed, b"c").unwrap(), TOKEN, "the old key still opens");
        let moved = rewrap(&both, &sealed, b"c").unwrap();
        assert_eq!((moved.key_id.as_str(), &moved.ciphertext), ("k2", &sealed.ciphertext), "only the key moved");
        let new_only = keys(&["k2"]);
        assert_eq!(open(&new_only, &moved, b"c").unwrap(), TOKEN);
        assert_eq!(open(&new_only, &sealed, b"c"), Err(SealError::UnknownKey("k1".into())));
        // A wrapped key relabelled with another key's id does not open under it.
        let relabelled = Sealed { key_id: "k2".into(), ..sealed };
        assert_eq!(open(&both, &relabelled, b"c"), Err(SealError::DoesNotOpen));
    }

    #[test]
    fn bad_master_secrets_are_refused() {
        for json in [
            r#"{"keys": []}"#,
            r#"{"keys": [{"kid": "k", "secret": "c2hvcnQ="}]}"#,
            "[]",
            r#"{"keys": [{"kid": "k", "secret": "%%"}]}"#,
        ] {
            assert!(matches!(MasterKeys::from_secret_json(json), Err(SealError::Keys(_))), "{json}");
        }
    }
}
