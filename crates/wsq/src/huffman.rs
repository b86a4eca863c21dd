//! Huffman tables: decoding canonical codes from a DHT segment's counts and
//! values, and building length-limited codes for the encoder (JPEG Annex K
//! method, which the WSQ specification adopts).

use crate::error::{Error, ErrorKind};

/// Longest code WSQ allows.
pub(crate) const MAX_CODE_LEN: usize = 16;
/// Bits resolved by one table lookup; longer codes take the slow path.
const FAST_BITS: u32 = 10;

/// A table as carried in a DHT segment: code counts per length and symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TableSpec {
    /// `counts[l]`: number of codes of length `l + 1`.
    pub counts: [u8; MAX_CODE_LEN],
    /// Symbols in code order.
    pub values: Vec<u8>,
}

#[derive(Debug)]
pub(crate) enum TableError {
    TooManyCodes,
    Oversubscribed,
}

impl From<TableError> for Error {
    fn from(e: TableError) -> Self {
        let reason = match e {
            TableError::TooManyCodes => "more than 256 codes",
            TableError::Oversubscribed => "code lengths overflow the code space",
        };
        ErrorKind::BadSegment {
            segment: "Huffman table",
            reason,
        }
        .into()
    }
}

/// A table ready for decoding.
#[derive(Clone, Debug)]
pub(crate) struct DecodeTable {
    /// `(symbol, length)` for every `FAST_BITS`-bit prefix; length 0 = slow path.
    fast: Vec<(u8, u8)>,
    /// Largest code of each length, -1 if none.
    max_code: [i32; MAX_CODE_LEN + 1],
    /// Offset into `values` of the first code of each length, minus that code.
    val_offset: [i32; MAX_CODE_LEN + 1],
    values: Vec<u8>,
}

impl DecodeTable {
    pub(crate) fn new(spec: &TableSpec) -> std::result::Result<Self, TableError> {
        let total: usize = spec.counts.iter().map(|&c| c as usize).sum();
        if total > 256 || total > spec.values.len() {
            return Err(TableError::TooManyCodes);
        }
        let mut max_code = [-1i32; MAX_CODE_LEN + 1];
        let mut val_offset = [0i32; MAX_CODE_LEN + 1];
        let mut fast = vec![(0u8, 0u8); 1 << FAST_BITS];
        let mut code: i32 = 0;
        let mut k: i32 = 0;
        for len in 1..=MAX_CODE_LEN {
            let n = spec.counts[len - 1] as i32;
            if n > 0 {
                val_offset[len] = k - code;
                for _ in 0..n {
                    if code >= 1 << len {
                        return Err(TableError::Oversubscribed);
                    }
                    if len as u32 <= FAST_BITS {
                        let shift = FAST_BITS - len as u32;
                        let base = (code as usize) << shift;
                        let entry = (spec.values[k as usize], len as u8);
                        fast[base..base + (1 << shift)].fill(entry);
                    }
                    code += 1;
                    k += 1;
                }
                max_code[len] = code - 1;
            }
            code <<= 1;
        }
        Ok(DecodeTable {
            fast,
            max_code,
            val_offset,
            values: spec.values[..total].to_vec(),
        })
    }

    /// Looks up `bits` (the next 16 bits, MSB first, zero past the end).
    /// Returns the symbol and its code length.
    #[inline]
    pub(crate) fn lookup(&self, bits: u32) -> Option<(u8, u32)> {
        let (sym, len) = self.fast[(bits >> (16 - FAST_BITS)) as usize];
        if len > 0 {
            return Some((sym, len as u32));
        }
        for len in (FAST_BITS as usize + 1)..=MAX_CODE_LEN {
            let code = (bits >> (16 - len)) as i32;
            if code <= self.max_code[len] {
                let idx = self.val_offset[len] + code;
                return self
                    .values
                    .get(usize::try_from(idx).ok()?)
                    .map(|&s| (s, len as u32));
            }
        }
        None
    }
}

/// Builds a length-limited Huffman code (≤ 16 bits) for symbol frequencies,
/// reserving the all-ones code as JPEG and WSQ require.
pub(crate) fn build_spec(freq: &[u32; 256]) -> TableSpec {
    // Frequencies plus one reserved pseudo-symbol (index 256) that keeps
    // every real code from being all ones.
    let mut f: Vec<u64> = freq.iter().map(|&x| x as u64).collect();
    f.push(1);
    let n = f.len();
    let mut code_size = vec![0usize; n];
    let mut others: Vec<Option<usize>> = vec![None; n];
    while let Some((c1, c2)) = least(&f, None).and_then(|c1| Some((c1, least(&f, Some(c1))?))) {
        f[c1] += f[c2];
        f[c2] = 0;
        let mut i = c1;
        code_size[i] += 1;
        while let Some(next) = others[i] {
            i = next;
            code_size[i] += 1;
        }
        others[i] = Some(c2);
        let mut i = c2;
        code_size[i] += 1;
        while let Some(next) = others[i] {
            i = next;
            code_size[i] += 1;
        }
    }
    let mut bits = [0usize; 33];
    for &s in &code_size {
        if s > 0 {
            bits[s.min(32)] += 1;
        }
    }
    limit_lengths(&mut bits);
    let mut counts = [0u8; MAX_CODE_LEN];
    for l in 1..=MAX_CODE_LEN {
        counts[l - 1] = bits[l] as u8;
    }
    // Symbols by increasing code size; the pseudo-symbol takes the last
    // (longest) code, which is then dropped.
    let mut order: Vec<usize> = (0..256).filter(|&s| code_size[s] > 0).collect();
    order.sort_by_key(|&s| (code_size[s], s));
    TableSpec {
        counts,
        values: order.into_iter().map(|s| s as u8).collect(),
    }
}

/// Index of the smallest non-zero frequency (largest index on ties, as in
/// JPEG Annex K), skipping `skip`.
fn least(f: &[u64], skip: Option<usize>) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, &v) in f.iter().enumerate() {
        if v == 0 || Some(i) == skip {
            continue;
        }
        if best.is_none_or(|b| v <= f[b]) {
            best = Some(i);
        }
    }
    best
}

/// JPEG Annex K.3 `Adjust_BITS`: moves codes longer than 16 bits up, then
/// removes the reserved code from the longest length.
fn limit_lengths(bits: &mut [usize; 33]) {
    let mut i = 32;
    while i > MAX_CODE_LEN {
        while bits[i] > 0 {
            let mut j = i - 2;
            while bits[j] == 0 {
                j -= 1;
            }
            bits[i] -= 2;
            bits[i - 1] += 1;
            bits[j + 1] += 2;
            bits[j] -= 1;
        }
        i -= 1;
    }
    while i > 0 && bits[i] == 0 {
        i -= 1;
    }
    if i > 0 {
        bits[i] -= 1;
    }
}

/// Code words for encoding: `(code, length)` per symbol.
pub(crate) fn encode_codes(spec: &TableSpec) -> Vec<(u16, u8)> {
    let mut out = vec![(0u16, 0u8); 256];
    let mut code: u32 = 0;
    let mut k = 0;
    for len in 1..=MAX_CODE_LEN {
        for _ in 0..spec.counts[len - 1] {
            out[spec.values[k] as usize] = (code as u16, len as u8);
            code += 1;
            k += 1;
        }
        code <<= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_codes_decode_back_and_never_use_all_ones() {
        let mut freq = [0u32; 256];
        for (i, f) in freq.iter_mut().enumerate().take(120) {
            *f = (i as u32 * 7919) % 1000 + 1;
        }
        freq[180] = 100_000;
        let spec = build_spec(&freq);
        let table = DecodeTable::new(&spec).unwrap();
        let codes = encode_codes(&spec);
        for s in (0..120).chain([180]) {
            let (code, len) = codes[s];
            assert!(
                len as usize <= MAX_CODE_LEN && len > 0,
                "symbol {s} has no code"
            );
            assert_ne!(code as u32, (1u32 << len) - 1, "all-ones code used");
            let bits = (code as u32) << (16 - len as u32);
            assert_eq!(table.lookup(bits), Some((s as u8, len as u32)));
        }
    }

    #[test]
    fn oversubscribed_table_is_rejected() {
        let mut counts = [0u8; MAX_CODE_LEN];
        counts[0] = 3;
        let spec = TableSpec {
            counts,
            values: vec![1, 2, 3],
        };
        assert!(DecodeTable::new(&spec).is_err());
    }
}
