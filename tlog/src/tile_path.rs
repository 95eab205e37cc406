//! C2SP tlog-tiles resource names: `tile/<L>/<N>[.p/<W>]` for Merkle tree
//! tiles and `tile/entries/<N>[.p/<W>]` for entry bundles.
//!
//! Parsing is strict and canonical: a path is accepted only if formatting
//! the parsed value gives the same path back, so a cache or a bucket never
//! holds one resource under two names. Tiles that cannot exist in any tree of
//! at most 2^64-1 leaves are refused too, so later tile math cannot overflow.

use std::fmt;

use crate::decimal::parse_u64;

/// Hashes in a full tile (tile height 8).
pub const TILE_WIDTH: u16 = 256;
/// Highest level the path syntax allows.
pub const MAX_TILE_LEVEL: u8 = 63;

/// Why a tile path or tile coordinates were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("malformed tile path: {0}")]
    Malformed(&'static str),
    #[error("tile width must be 1 to 256, got {0}")]
    BadWidth(u64),
    #[error("tile level must be 0 to 63, got {0}")]
    BadLevel(u64),
    #[error("no tree of at most 2^64-1 leaves has this tile")]
    OutOfRange,
}

/// A Merkle tree tile: level `level`, `index`-th within its level, `width`
/// hashes (256 for a full tile, 1-255 for a partial one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    level: u8,
    index: u64,
    width: u16,
}

/// An entry bundle: the entries hashed into level-0 tile `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BundleId {
    index: u64,
    width: u16,
}

/// Anything served under `tile/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TilePath {
    Hashes(TileId),
    Entries(BundleId),
}

/// Hashes stored at tile level `level` by the largest possible tree:
/// `(2^64 - 1) >> 8*level`, zero from level 8 up.
pub(crate) fn max_hashes_at_level(level: u8) -> u64 {
    u64::MAX.checked_shr(8 * u32::from(level)).unwrap_or(0)
}

fn check(level: u8, index: u64, width: u16) -> Result<(), PathError> {
    if level > MAX_TILE_LEVEL {
        return Err(PathError::BadLevel(u64::from(level)));
    }
    if width == 0 || width > TILE_WIDTH {
        return Err(PathError::BadWidth(u64::from(width)));
    }
    let end = index
        .checked_mul(u64::from(TILE_WIDTH))
        .and_then(|start| start.checked_add(u64::from(width)))
        .ok_or(PathError::OutOfRange)?;
    if end > max_hashes_at_level(level) {
        return Err(PathError::OutOfRange);
    }
    Ok(())
}

impl TileId {
    pub fn new(level: u8, index: u64, width: u16) -> Result<Self, PathError> {
        check(level, index, width)?;
        Ok(TileId {
            level,
            index,
            width,
        })
    }

    pub fn level(&self) -> u8 {
        self.level
    }

    pub fn index(&self) -> u64 {
        self.index
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// `tile/<L>/<N>[.p/<W>]`, relative to the log prefix.
    pub fn path(&self) -> String {
        let mut out = format!("tile/{}/", self.level);
        push_index_and_width(&mut out, self.index, self.width);
        out
    }
}

impl BundleId {
    pub fn new(index: u64, width: u16) -> Result<Self, PathError> {
        check(0, index, width)?;
        Ok(BundleId { index, width })
    }

    pub fn index(&self) -> u64 {
        self.index
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// The level-0 tile holding these entries' leaf hashes.
    pub fn tile(&self) -> TileId {
        TileId {
            level: 0,
            index: self.index,
            width: self.width,
        }
    }

    /// `tile/entries/<N>[.p/<W>]`, relative to the log prefix.
    pub fn path(&self) -> String {
        let mut out = String::from("tile/entries/");
        push_index_and_width(&mut out, self.index, self.width);
        out
    }
}

impl TilePath {
    /// Parses a path relative to the log prefix, e.g. `tile/0/x001/234.p/7`.
    pub fn parse(path: &str) -> Result<Self, PathError> {
        // The longest real path is 47 bytes: "tile/entries/" (13), the
        // largest level-0 index in 6 groups (28), ".p/255" (6). Anything far
        // longer is refused before any work.
        if path.len() > 64 {
            return Err(PathError::Malformed("too long"));
        }
        let rest = path
            .strip_prefix("tile/")
            .ok_or(PathError::Malformed("must start with tile/"))?;
        let (kind, rest) = rest
            .split_once('/')
            .ok_or(PathError::Malformed("missing tile index"))?;
        let (index_part, width) = match rest.split_once(".p/") {
            None => (rest, TILE_WIDTH),
            Some((index_part, w)) => {
                let w = parse_u64(w).ok_or(PathError::Malformed("bad partial width"))?;
                if w == 0 || w >= u64::from(TILE_WIDTH) {
                    return Err(PathError::BadWidth(w));
                }
                (index_part, w as u16) // < 256, lossless
            }
        };
        let index = parse_index(index_part)?;
        if kind == "entries" {
            return Ok(TilePath::Entries(BundleId::new(index, width)?));
        }
        let level = parse_u64(kind).ok_or(PathError::Malformed("bad tile level"))?;
        if level > u64::from(MAX_TILE_LEVEL) {
            return Err(PathError::BadLevel(level));
        }
        Ok(TilePath::Hashes(TileId::new(level as u8, index, width)?))
    }

    pub fn path(&self) -> String {
        match self {
            TilePath::Hashes(t) => t.path(),
            TilePath::Entries(b) => b.path(),
        }
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

impl fmt::Display for BundleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

/// `N` as 3-digit groups, all but the last prefixed with `x`
/// (1234067 -> `x001/x234/067`), then `.p/<W>` for a partial tile.
fn push_index_and_width(out: &mut String, index: u64, width: u16) {
    let mut groups = Vec::with_capacity(7);
    let mut n = index;
    loop {
        groups.push(n % 1000);
        n /= 1000;
        if n == 0 {
            break;
        }
    }
    for (i, group) in groups.iter().rev().enumerate() {
        if i > 0 {
            out.push('/');
        }
        if i + 1 < groups.len() {
            out.push('x');
        }
        out.push_str(&format!("{group:03}"));
    }
    if width != TILE_WIDTH {
        out.push_str(&format!(".p/{width}"));
    }
}

fn parse_index(text: &str) -> Result<u64, PathError> {
    let groups: Vec<&str> = text.split('/').collect();
    if groups.len() > 7 {
        return Err(PathError::OutOfRange);
    }
    let last = groups.len() - 1; // split always yields at least one item
    let mut index: u64 = 0;
    for (i, group) in groups.iter().enumerate() {
        let digits = if i < last {
            group
                .strip_prefix('x')
                .ok_or(PathError::Malformed("index group needs an x prefix"))?
        } else {
            group
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PathError::Malformed("index groups are 3 digits"));
        }
        let value: u64 = digits
            .parse()
            .map_err(|_| PathError::Malformed("index group"))?;
        // `x000/...` would be a second spelling of a shorter index.
        if i == 0 && i < last && value == 0 {
            return Err(PathError::Malformed("index has a leading zero group"));
        }
        index = index
            .checked_mul(1000)
            .and_then(|v| v.checked_add(value))
            .ok_or(PathError::OutOfRange)?;
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(level: u8, index: u64, width: u16) -> TilePath {
        TilePath::Hashes(TileId::new(level, index, width).unwrap())
    }

    #[test]
    fn spec_examples() {
        // tlog-tiles: "index 1234067 will be encoded as x001/x234/067".
        assert_eq!(
            TileId::new(0, 1_234_067, 256).unwrap().path(),
            "tile/0/x001/x234/067"
        );
        assert_eq!(TileId::new(2, 0, 1).unwrap().path(), "tile/2/000.p/1");
        assert_eq!(
            BundleId::new(1000, 17).unwrap().path(),
            "tile/entries/x001/000.p/17"
        );
        assert_eq!(
            TilePath::parse("tile/0/x001/x234/067"),
            Ok(hashes(0, 1_234_067, 256))
        );
        assert_eq!(TilePath::parse("tile/1/001.p/17"), Ok(hashes(1, 1, 17)));
        assert_eq!(
            TilePath::parse("tile/entries/x001/x234/067.p/255"),
            Ok(TilePath::Entries(BundleId::new(1_234_067, 255).unwrap()))
        );
    }

    #[test]
    fn round_trips() {
        let indexes = [0, 1, 999, 1000, 1001, 999_999, 1_000_000, 123_456_789_012];
        for level in [0u8, 1, 2, 3] {
            for &index in &indexes {
                for width in [1u16, 2, 255, 256] {
                    let Ok(t) = TileId::new(level, index, width) else {
                        continue;
                    };
                    assert_eq!(TilePath::parse(&t.path()), Ok(TilePath::Hashes(t)));
                }
            }
        }
        let max = BundleId::new(u64::MAX / 256 - 1, 256).unwrap();
        assert_eq!(TilePath::parse(&max.path()), Ok(TilePath::Entries(max)));
        // The last tile of the largest tree: partial, with the longest path.
        let last = BundleId::new(u64::MAX / 256, 255).unwrap();
        assert_eq!(
            last.path(),
            "tile/entries/x072/x057/x594/x037/x927/935.p/255"
        );
        assert_eq!(TilePath::parse(&last.path()), Ok(TilePath::Entries(last)));
        assert!(BundleId::new(u64::MAX / 256, 256).is_err());
    }

    #[test]
    fn rejects_non_canonical_and_malformed() {
        for bad in [
            "",
            "tile",
            "tile/",
            "tile/0",
            "tile/0/",
            "/tile/0/000",
            "tiles/0/000",
            "tile/00/000",
            "tile/+1/000",
            "tile/64/000",
            "tile/0/0",
            "tile/0/0000",
            "tile/0/x000/001",
            "tile/0/001/002",
            "tile/0/x1/002",
            "tile/0/xx01/002",
            "tile/0/x001/x002",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/05",
            "tile/0/000.p/",
            "tile/0/000.p/5/",
            "tile/0/000.p/5/6",
            "tile/0/000/",
            "tile/0/000.p",
            "tile/0/-01",
            "tile/0/00a",
            "tile/data/000",
            "tile/Entries/000",
            "tile/entries/000.p/256",
            "tile/0/x018/x446/x744/x073/x709/x551/x615/000",
        ] {
            assert!(TilePath::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn rejects_tiles_no_u64_tree_has() {
        // Level 8 would need 2^64 leaves for a single hash.
        assert_eq!(
            TilePath::parse("tile/8/000.p/1"),
            Err(PathError::OutOfRange)
        );
        assert_eq!(
            TilePath::parse("tile/63/000.p/1"),
            Err(PathError::OutOfRange)
        );
        // Level-7 hashes cover 2^56 leaves each: at most 255 of them fit.
        assert!(TilePath::parse("tile/7/000.p/255").is_ok());
        assert_eq!(TilePath::parse("tile/7/000"), Err(PathError::OutOfRange));
        assert_eq!(
            TilePath::parse("tile/7/001.p/1"),
            Err(PathError::OutOfRange)
        );
        // u64::MAX itself overflows the 7 groups.
        assert_eq!(
            TilePath::parse("tile/0/x018/x446/x744/x073/x709/x551/616"),
            Err(PathError::OutOfRange)
        );
        assert_eq!(TileId::new(0, 0, 0), Err(PathError::BadWidth(0)));
        assert_eq!(TileId::new(0, 0, 257), Err(PathError::BadWidth(257)));
        assert_eq!(TileId::new(64, 0, 1), Err(PathError::BadLevel(64)));
    }
}
