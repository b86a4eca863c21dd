//! Recovery shares: the master key split K of N with Shamir's secret sharing
//! (the `blahaj` crate, GF(256)), as printable lines for custodians.
//!
//! ```text
//! vantay-share-2-of-5-k3:<key check, 16 hex>:<share, 66 hex>:<checksum, 8 hex>
//! ```
//!
//! The key check value (see [`MasterKey::check_value`]) names the key the
//! share belongs to, so shares of two keys are not mixed, and the rebuilt key
//! is compared with it. The checksum (first 4 bytes of SHA-256 of the text
//! before it) catches a mistyped share before any arithmetic.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use crate::keys::{MasterKey, KEY_LEN};

const PREFIX: &str = "vantay-share-";

/// Why splitting or combining failed, or a share line did not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ShareError {
    /// K or N out of range.
    #[error("cannot split into {k} of {n}: need 2 <= K <= N <= 255 (with K = 1 every share is the whole key; keep a copy of the key file instead)")]
    BadParameters {
        /// Shares needed.
        k: u16,
        /// Shares made.
        n: u16,
    },
    /// A `K/N` text that is not two numbers.
    #[error("{0:?} is not K/N (e.g. 3/5: any 3 of 5 shares rebuild the key)")]
    BadSpec(String),
    /// A line that is not a vantay share.
    #[error("share {index_hint} is not a vantay share line ({why}); copy the whole line starting with vantay-share-")]
    BadFormat {
        /// Which input line (1-based) or "?" when parsed alone.
        index_hint: String,
        /// What was wrong.
        why: &'static str,
    },
    /// The checksum does not match: a character was mistyped.
    #[error("share {0} has a wrong checksum: a character was mistyped or the line was cut; check it against the paper copy")]
    Checksum(String),
    /// Shares of different keys or different splits.
    #[error("the shares belong to different keys or different splits (key check or K/N differ): use shares from one `vantay init --shares` only")]
    Mixed,
    /// Two different shares carry the same index.
    #[error("two different shares both claim to be number {0}: one of them is damaged")]
    Conflict(u8),
    /// Fewer distinct shares than the threshold.
    #[error("{have} distinct share(s) given, {need} needed to rebuild the key")]
    NotEnough {
        /// Distinct shares given.
        have: usize,
        /// Threshold K.
        need: u8,
    },
    /// The rebuilt key does not match the key check value.
    #[error("the shares do not rebuild the key they name (key check mismatch): one share is damaged; try another combination of K shares")]
    WrongKey,
}

/// One recovery share of the master key. Secret: zeroized on drop, shown by
/// `Debug` only by its number.
#[derive(Clone)]
pub struct Share {
    index: u8,
    threshold: u8,
    count: u8,
    key_check: [u8; 8],
    value: Zeroizing<[u8; KEY_LEN]>,
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Share({} of {}, K={})",
            self.index, self.count, self.threshold
        )
    }
}

fn checksum(body: &str) -> String {
    hex::encode(&Sha256::digest(body.as_bytes())[..4])
}

/// Parse `K/N` (as given to `vantay init --shares`).
pub fn parse_share_spec(spec: &str) -> Result<(u8, u8), ShareError> {
    let bad = || ShareError::BadSpec(spec.to_owned());
    let (k, n) = spec.trim().split_once('/').ok_or_else(bad)?;
    let k: u16 = k.trim().parse().map_err(|_| bad())?;
    let n: u16 = n.trim().parse().map_err(|_| bad())?;
    check_parameters(k, n)?;
    Ok((k as u8, n as u8))
}

fn check_parameters(k: u16, n: u16) -> Result<(), ShareError> {
    if 2 <= k && k <= n && n <= 255 {
        Ok(())
    } else {
        Err(ShareError::BadParameters { k, n })
    }
}

impl Share {
    /// This share's number (1..=N).
    pub fn index(&self) -> u8 {
        self.index
    }

    /// How many shares rebuild the key (K).
    pub fn threshold(&self) -> u8 {
        self.threshold
    }

    /// How many shares were made (N).
    pub fn count(&self) -> u8 {
        self.count
    }

    /// The printable line to hand to a custodian.
    pub fn to_text(&self) -> Zeroizing<String> {
        let body = Zeroizing::new(format!(
            "{PREFIX}{}-of-{}-k{}:{}:{:02x}{}",
            self.index,
            self.count,
            self.threshold,
            hex::encode(self.key_check),
            self.index,
            hex::encode(*self.value)
        ));
        let sum = checksum(&body);
        Zeroizing::new(format!("{}:{sum}", body.as_str()))
    }

    /// Parse a share line (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Share, ShareError> {
        parse_line(text.trim(), "?")
    }
}

fn parse_line(text: &str, hint: &str) -> Result<Share, ShareError> {
    let bad = |why| ShareError::BadFormat {
        index_hint: hint.to_owned(),
        why,
    };
    let (body, sum) = text.rsplit_once(':').ok_or_else(|| bad("no checksum"))?;
    if !body.starts_with(PREFIX) {
        return Err(bad("it does not start with vantay-share-"));
    }
    if !bool::from(
        checksum(body)
            .as_bytes()
            .ct_eq(sum.to_ascii_lowercase().as_bytes()),
    ) {
        return Err(ShareError::Checksum(hint.to_owned()));
    }
    let mut fields = body[PREFIX.len()..].split(':');
    let (label, check, data) = match (fields.next(), fields.next(), fields.next(), fields.next()) {
        (Some(l), Some(c), Some(d), None) => (l, c, d),
        _ => return Err(bad("it does not have four parts separated by ':'")),
    };
    let (index, count, threshold) =
        parse_label(label).ok_or_else(|| bad("the label is not I-of-N-kK"))?;
    let key_check: [u8; 8] = hex::decode(check)
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| bad("the key check is not 16 hex digits"))?;
    let data = Zeroizing::new(hex::decode(data).map_err(|_| bad("the share is not hex"))?);
    if data.len() != 1 + KEY_LEN || data[0] != index {
        return Err(bad("the share value has the wrong length or number"));
    }
    let mut value = Zeroizing::new([0u8; KEY_LEN]);
    value.copy_from_slice(&data[1..]);
    check_parameters(threshold.into(), count.into()).map_err(|_| bad("K/N out of range"))?;
    if index == 0 || index > count {
        return Err(bad("the share number is not between 1 and N"));
    }
    Ok(Share {
        index,
        threshold,
        count,
        key_check,
        value,
    })
}

fn parse_label(label: &str) -> Option<(u8, u8, u8)> {
    let (index, rest) = label.split_once("-of-")?;
    let (count, threshold) = rest.split_once("-k")?;
    Some((
        index.parse().ok()?,
        count.parse().ok()?,
        threshold.parse().ok()?,
    ))
}

/// Parse several share lines, naming each by its position in errors.
pub fn parse_shares<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<Share>, ShareError> {
    lines
        .into_iter()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| parse_line(line, &(i + 1).to_string()))
        .collect()
}

/// Split `master` into `n` shares, any `k` of which rebuild it.
pub fn split(master: &MasterKey, k: u8, n: u8) -> Result<Vec<Share>, ShareError> {
    check_parameters(k.into(), n.into())?;
    let key_check = master.check_value();
    let shares = blahaj::Sharks(k)
        .dealer(master.expose())
        .take(n.into())
        .map(|share| {
            let bytes = Zeroizing::new(Vec::from(&share));
            let mut value = Zeroizing::new([0u8; KEY_LEN]);
            value.copy_from_slice(&bytes[1..]);
            Share {
                index: bytes[0],
                threshold: k,
                count: n,
                key_check,
                value,
            }
        })
        .collect();
    Ok(shares)
}

/// Rebuild the master key from at least K shares of one split.
pub fn combine(shares: &[Share]) -> Result<MasterKey, ShareError> {
    let first = shares
        .first()
        .ok_or(ShareError::NotEnough { have: 0, need: 2 })?;
    let distinct = distinct_shares(shares, first)?;
    if distinct.len() < usize::from(first.threshold) {
        return Err(ShareError::NotEnough {
            have: distinct.len(),
            need: first.threshold,
        });
    }
    let points: Vec<blahaj::Share> = distinct
        .iter()
        .map(|s| {
            let mut bytes = Zeroizing::new(Vec::with_capacity(1 + KEY_LEN));
            bytes.push(s.index);
            bytes.extend_from_slice(&*s.value);
            blahaj::Share::try_from(bytes.as_slice()).expect("33 bytes make a share")
        })
        .collect();
    let secret = Zeroizing::new(blahaj::Sharks(first.threshold).recover(&points).map_err(
        |_| ShareError::NotEnough {
            have: distinct.len(),
            need: first.threshold,
        },
    )?);
    let mut bytes: [u8; KEY_LEN] = secret
        .as_slice()
        .try_into()
        .map_err(|_| ShareError::WrongKey)?;
    let key = MasterKey::from_bytes(bytes);
    bytes.zeroize();
    if bool::from(key.check_value().ct_eq(&first.key_check)) {
        Ok(key)
    } else {
        Err(ShareError::WrongKey)
    }
}

/// The shares with duplicates removed, after checking they belong together.
fn distinct_shares<'a>(shares: &'a [Share], first: &Share) -> Result<Vec<&'a Share>, ShareError> {
    let mut distinct: Vec<&Share> = Vec::new();
    for share in shares {
        let same_split = share.threshold == first.threshold
            && share.count == first.count
            && share.key_check == first.key_check;
        if !same_split {
            return Err(ShareError::Mixed);
        }
        match distinct.iter().find(|d| d.index == share.index) {
            Some(seen) if *seen.value != *share.value => {
                return Err(ShareError::Conflict(share.index))
            }
            Some(_) => {}
            None => distinct.push(share),
        }
    }
    Ok(distinct)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subsets(n: usize, k: usize) -> Vec<Vec<usize>> {
        (0u32..1 << n)
            .filter(|m| m.count_ones() as usize == k)
            .map(|m| (0..n).filter(|i| m & (1 << i) != 0).collect())
            .collect()
    }

    #[test]
    fn any_k_of_n_rebuild_and_k_minus_one_do_not() {
        let master = MasterKey::generate();
        let shares = split(&master, 3, 5).unwrap();
        assert_eq!(shares.len(), 5);
        for pick in subsets(5, 3).into_iter().chain(subsets(5, 4)) {
            let chosen: Vec<Share> = pick.iter().map(|&i| shares[i].clone()).collect();
            assert_eq!(
                combine(&chosen).unwrap().expose(),
                master.expose(),
                "{pick:?}"
            );
        }
        for pick in subsets(5, 2) {
            let chosen: Vec<Share> = pick.iter().map(|&i| shares[i].clone()).collect();
            assert_eq!(
                combine(&chosen).unwrap_err(),
                ShareError::NotEnough { have: 2, need: 3 }
            );
        }
        let twice = vec![shares[0].clone(), shares[0].clone(), shares[1].clone()];
        assert_eq!(
            combine(&twice).unwrap_err(),
            ShareError::NotEnough { have: 2, need: 3 }
        );
    }

    #[test]
    fn k_minus_one_shares_forced_to_interpolate_give_no_key() {
        // Even lying about K (editing the lines) does not rebuild the key
        // from fewer shares: the key check catches the wrong result.
        let master = MasterKey::generate();
        let shares = split(&master, 3, 5).unwrap();
        let lowered: Vec<Share> = shares[..2]
            .iter()
            .map(|s| Share {
                threshold: 2,
                ..s.clone()
            })
            .collect();
        assert_eq!(combine(&lowered).unwrap_err(), ShareError::WrongKey);
    }

    #[test]
    fn text_round_trip() {
        let master = MasterKey::generate();
        let shares = split(&master, 2, 3).unwrap();
        let lines: Vec<_> = shares.iter().map(|s| s.to_text()).collect();
        assert!(
            lines[1].starts_with("vantay-share-2-of-3-k2:"),
            "{}",
            lines[1].as_str()
        );
        let parsed = parse_shares(lines.iter().map(|l| l.as_str())).unwrap();
        assert_eq!(combine(&parsed[1..]).unwrap().expose(), master.expose());
    }

    #[test]
    fn mistyped_share_is_reported() {
        let master = MasterKey::generate();
        let shares = split(&master, 2, 3).unwrap();
        let line = shares[0].to_text();
        let at = line.len() - 20;
        let mut typo: Vec<char> = line.chars().collect();
        typo[at] = if typo[at] == '0' { '1' } else { '0' };
        let typo: String = typo.into_iter().collect();
        let good = shares[1].to_text();
        let err = parse_shares([good.as_str(), typo.as_str()]).unwrap_err();
        assert_eq!(err, ShareError::Checksum("2".into()));
        assert!(err.to_string().contains("mistyped"));
        assert!(matches!(
            Share::parse("hello:1234"),
            Err(ShareError::BadFormat { .. })
        ));
        assert!(matches!(
            Share::parse(&line[..line.len() - 10]),
            Err(ShareError::Checksum(_))
        ));
    }

    #[test]
    fn corrupted_share_value_is_caught_by_key_check() {
        let master = MasterKey::generate();
        let mut shares = split(&master, 2, 3).unwrap();
        shares[0].value[5] ^= 0x40;
        assert_eq!(combine(&shares[..2]).unwrap_err(), ShareError::WrongKey);
    }

    #[test]
    fn shares_of_two_keys_are_not_mixed() {
        let a = split(&MasterKey::generate(), 2, 3).unwrap();
        let b = split(&MasterKey::generate(), 2, 3).unwrap();
        assert_eq!(
            combine(&[a[0].clone(), b[1].clone()]).unwrap_err(),
            ShareError::Mixed
        );
        let mut conflict = a[1].clone();
        conflict.value[0] ^= 1;
        assert_eq!(
            combine(&[a[1].clone(), conflict]).unwrap_err(),
            ShareError::Conflict(2)
        );
    }

    #[test]
    fn parameters_are_checked() {
        let master = MasterKey::generate();
        assert_eq!(
            split(&master, 1, 3).unwrap_err(),
            ShareError::BadParameters { k: 1, n: 3 }
        );
        assert_eq!(
            split(&master, 4, 3).unwrap_err(),
            ShareError::BadParameters { k: 4, n: 3 }
        );
        assert_eq!(parse_share_spec("3/5").unwrap(), (3, 5));
        assert_eq!(
            parse_share_spec("3-5").unwrap_err(),
            ShareError::BadSpec("3-5".into())
        );
        assert_eq!(
            parse_share_spec("2/300").unwrap_err(),
            ShareError::BadParameters { k: 2, n: 300 }
        );
        assert!(!format!("{:?}", split(&master, 2, 2).unwrap()[0])
            .contains(&hex::encode(master.expose())[..8]));
    }
}
