//! Signed session tokens as the live instances issue and check them: JWTs signed with HS256
//! (HMAC-SHA-256, RFC 7518 §3.2), verified on every request.
//!
//! A token is `base64url(header).base64url(payload).base64url(signature)` with the payload
//! `{"sub":"<session>","exp":<unix seconds>}`. The MAC is RustCrypto's `hmac` over `sha2`'s
//! SHA-256, and the encoding is the `base64` crate's URL-safe alphabet without padding
//! (RFC 4648 §5); a signature is checked with the MAC's own constant-time comparison. The tests
//! below pin the primitive to RFC 4231's test vectors and the token format to its exact text.
//!
//! Not `jsonwebtoken`: its RustCrypto backend builds RSA and elliptic-curve signers these
//! instances never use, and it checks expiry against the wall clock itself, where here `now` is
//! the caller's, so that expiry is tested at exact instants.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// HMAC-SHA-256 keyed with `key`, ready for a message.
fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes a key of any length (a long one is hashed first), so this cannot fail.
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// HMAC-SHA-256 of `message` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = mac(key);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Base64url without padding (RFC 4648 §5), as JWTs use it.
pub(crate) fn base64url(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// A token for session `sub` expiring at `exp` (unix seconds), signed with `secret`.
pub(crate) fn sign(secret: &[u8], sub: u64, exp: u64) -> String {
    let payload = format!(r#"{{"sub":"{sub}","exp":{exp}}}"#);
    let signing_input = format!(
        "{}.{}",
        base64url(HEADER.as_bytes()),
        base64url(payload.as_bytes())
    );
    let signature = base64url(&hmac_sha256(secret, signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    Malformed,
    BadSignature,
    Expired,
}

/// Checks `token`'s signature and expiry at `now` (unix seconds); returns its session.
pub(crate) fn verify(secret: &[u8], token: &str, now: u64) -> Result<u64, Refused> {
    let (signing_input, signature) = token.rsplit_once('.').ok_or(Refused::Malformed)?;
    // A signature that is not even base64url cannot be the right one.
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Refused::BadSignature)?;
    let mut mac = mac(secret);
    mac.update(signing_input.as_bytes());
    // Compared in constant time, so that timing does not leak the first differing byte.
    mac.verify_slice(&signature)
        .map_err(|_| Refused::BadSignature)?;
    let (_, payload) = signing_input.split_once('.').ok_or(Refused::Malformed)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| Refused::Malformed)?;
    let value: serde_json::Value = serde_json::from_slice(&json).map_err(|_| Refused::Malformed)?;
    let exp = value["exp"].as_u64().ok_or(Refused::Malformed)?;
    let sub = value["sub"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or(Refused::Malformed)?;
    if now >= exp {
        return Err(Refused::Expired);
    }
    Ok(sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn hmac_matches_rfc_4231_test_cases_1_and_6() {
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // A key longer than the block is hashed first.
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn base64url_has_no_padding_and_round_trips() {
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(URL_SAFE_NO_PAD.decode("-_8").unwrap(), [0xfb, 0xff]);
    }

    #[test]
    fn a_token_is_the_standard_hs256_jwt_text() {
        // base64url of {"alg":"HS256","typ":"JWT"} and of {"sub":"42","exp":1000}, then
        // base64url(HMAC-SHA-256("secret", header "." payload)), as any HS256 library makes it.
        assert_eq!(
            sign(b"secret", 42, 1_000),
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImV4cCI6MTAwMH0.\
             FXzbp30eW3y1j51WLoelL7ACiucfUH3R3xfUuKkeRkA"
        );
    }

    #[test]
    fn a_token_verifies_until_it_expires_and_not_under_another_key() {
        let token = sign(b"secret", 42, 1_000);
        assert_eq!(verify(b"secret", &token, 999), Ok(42));
        assert_eq!(verify(b"secret", &token, 1_000), Err(Refused::Expired));
        assert_eq!(verify(b"other", &token, 999), Err(Refused::BadSignature));
        let tampered = token.replacen("eyJzdWIiOiI0Mi", "eyJzdWIiOiI0My", 1);
        assert_ne!(tampered, token);
        assert_eq!(
            verify(b"secret", &tampered, 999),
            Err(Refused::BadSignature)
        );
        // The signature itself altered: one character off, cut short, or not base64url at all.
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { 'B' } else { 'A' };
        for bad in [
            format!("{signing_input}.{flipped}{}", &signature[1..]),
            format!("{signing_input}.{}", &signature[..signature.len() - 4]),
            format!("{signing_input}.not*base64"),
        ] {
            assert_eq!(verify(b"secret", &bad, 999), Err(Refused::BadSignature));
        }
        assert_eq!(verify(b"secret", "nodots", 0), Err(Refused::Malformed));
    }
}
