//! NISTCOM: the `KEY value` comment block NIST tools put in WSQ files.
//!
//! The codec reads it only for the resolution (`PPI`); other attributes
//! (SD14's `FING_CLASS`, for one) are kept as data for the caller and never
//! interpreted here.

/// The key that starts a NISTCOM comment.
const MAGIC: &str = "NIST_COM";

/// A parsed NISTCOM comment: its attributes in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NistCom {
    fields: Vec<(String, String)>,
}

impl NistCom {
    /// Parses a comment's bytes; `None` if it is not a NISTCOM block.
    pub fn parse(bytes: &[u8]) -> Option<Self> {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim_end_matches('\0');
        if !text.starts_with(MAGIC) {
            return None;
        }
        let fields = text
            .lines()
            .filter_map(|line| {
                let line = line.trim();
                let (key, value) = line
                    .split_once(|c: char| c.is_whitespace())
                    .unwrap_or((line, ""));
                (!key.is_empty()).then(|| (key.to_owned(), value.trim().to_owned()))
            })
            .collect();
        Some(NistCom { fields })
    }

    /// The value of the first field with this key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All fields in file order, the `NIST_COM` count line included.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// Resolution in pixels per inch, if the block gives a positive one.
    pub fn ppi(&self) -> Option<u16> {
        self.get("PPI")?.parse::<u16>().ok().filter(|&p| p > 0)
    }

    /// Builds the block a WSQ encoder writes (the layout of NIST's `cwsq`).
    pub(crate) fn for_encoder(width: u16, height: u16, ppi: Option<u16>, bitrate: f32) -> Self {
        let ppi = ppi.map_or("-1".to_owned(), |p| p.to_string());
        let pairs = [
            ("PIX_WIDTH", width.to_string()),
            ("PIX_HEIGHT", height.to_string()),
            ("PIX_DEPTH", "8".to_owned()),
            ("PPI", ppi),
            ("LOSSY", "1".to_owned()),
            ("COLORSPACE", "GRAY".to_owned()),
            ("COMPRESSION", "WSQ".to_owned()),
            ("WSQ_BITRATE", format!("{bitrate:.6}")),
        ];
        let mut fields = vec![(MAGIC.to_owned(), (pairs.len() + 1).to_string())];
        fields.extend(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)));
        NistCom { fields }
    }

    /// The block as comment bytes (lines joined by `\n`, no trailing newline).
    pub fn to_bytes(&self) -> Vec<u8> {
        let lines: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        lines.join("\n").into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sd14_style_block() {
        let text = b"NIST_COM 12\nPPI 500\nSD_ID 14\nHISTORY a b c\nPIX_WIDTH 832\n";
        let n = NistCom::parse(text).unwrap();
        assert_eq!(n.ppi(), Some(500));
        assert_eq!(n.get("HISTORY"), Some("a b c"));
        assert_eq!(n.get("PIX_WIDTH"), Some("832"));
    }

    #[test]
    fn other_comments_are_not_nistcom() {
        assert_eq!(NistCom::parse(b"hello"), None);
    }

    #[test]
    fn encoder_block_round_trips() {
        let n = NistCom::for_encoder(500, 400, Some(500), 0.75);
        let back = NistCom::parse(&n.to_bytes()).unwrap();
        assert_eq!(back, n);
        assert_eq!(back.get("NIST_COM"), Some("9"));
        assert_eq!(back.get("WSQ_BITRATE"), Some("0.750000"));
    }
}
