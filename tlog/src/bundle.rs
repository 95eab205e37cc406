//! Entry bundles (C2SP tlog-tiles): the entries behind one level-0 tile,
//! each as a big-endian u16 length followed by the entry bytes.

use crate::hash::{leaf_hash, HASH_SIZE};
use crate::tile_math::{right_edge_bundle, TileError};
use crate::tile_path::{BundleId, TILE_WIDTH};

/// Largest entry a bundle can carry (the u16 length prefix).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// Why a bundle could not be built, parsed or matched to its tile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    #[error("entry of {0} bytes exceeds the 65535-byte limit of entry bundles")]
    EntryTooLarge(usize),
    #[error("a bundle holds at most 256 entries")]
    TooManyEntries,
    #[error("bundle is truncated")]
    Truncated,
    #[error("bundle has {found} entries, expected {expected}")]
    WrongCount { expected: usize, found: usize },
    #[error("entry {0} does not hash to the leaf hash in its tile")]
    HashMismatch(usize),
    #[error("partial bundle {0} is needed to append")]
    MissingPartial(String),
    #[error(transparent)]
    Tile(#[from] TileError),
}

/// Encodes entries as a bundle.
pub fn encode_bundle<'a>(
    entries: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::new();
    let mut count = 0usize;
    for entry in entries {
        count += 1;
        if count > usize::from(TILE_WIDTH) {
            return Err(BundleError::TooManyEntries);
        }
        push_entry(&mut out, entry)?;
    }
    Ok(out)
}

fn push_entry(out: &mut Vec<u8>, entry: &[u8]) -> Result<(), BundleError> {
    let len = u16::try_from(entry.len()).map_err(|_| BundleError::EntryTooLarge(entry.len()))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(entry);
    Ok(())
}

/// Splits a bundle into its entries. The whole input must be consumed, and
/// at most 256 entries are accepted.
pub fn parse_bundle(data: &[u8]) -> Result<Vec<&[u8]>, BundleError> {
    let mut entries = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        if entries.len() == usize::from(TILE_WIDTH) {
            return Err(BundleError::TooManyEntries);
        }
        let (len, tail) = rest.split_at_checked(2).ok_or(BundleError::Truncated)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let (entry, tail) = tail.split_at_checked(len).ok_or(BundleError::Truncated)?;
        entries.push(entry);
        rest = tail;
    }
    Ok(entries)
}

/// Parses a bundle and checks it against its level-0 tile: the same number
/// of entries as hashes, and each entry's leaf hash equal to its hash.
pub fn verify_bundle<'a>(bundle: &'a [u8], tile_data: &[u8]) -> Result<Vec<&'a [u8]>, BundleError> {
    let entries = parse_bundle(bundle)?;
    let hashes: Vec<&[u8]> = tile_data.chunks(HASH_SIZE).collect();
    if entries.len() != hashes.len() || tile_data.len() % HASH_SIZE != 0 {
        return Err(BundleError::WrongCount {
            expected: tile_data.len() / HASH_SIZE,
            found: entries.len(),
        });
    }
    for (i, (entry, hash)) in entries.iter().zip(hashes).enumerate() {
        if leaf_hash(entry).0[..] != *hash {
            return Err(BundleError::HashMismatch(i));
        }
    }
    Ok(entries)
}

/// The bundles to write when `entries` are appended to a tree of
/// `old_size` leaves: the old partial bundle (`partial`, required when
/// `old_size` is not a multiple of 256) extended, then new ones.
pub fn append_entries(
    old_size: u64,
    partial: Option<&[u8]>,
    entries: &[&[u8]],
) -> Result<Vec<(BundleId, Vec<u8>)>, BundleError> {
    let mut carried: Vec<&[u8]> = Vec::new();
    if let Some(edge) = right_edge_bundle(old_size) {
        let data = partial.ok_or_else(|| BundleError::MissingPartial(edge.path()))?;
        carried = parse_bundle(data)?;
        if carried.len() != usize::from(edge.width()) {
            return Err(BundleError::WrongCount {
                expected: usize::from(edge.width()),
                found: carried.len(),
            });
        }
    }
    let first = old_size / u64::from(TILE_WIDTH);
    carried.extend_from_slice(entries);
    let mut out = Vec::new();
    for (i, chunk) in carried.chunks(usize::from(TILE_WIDTH)).enumerate() {
        let id = BundleId::new(first + i as u64, chunk.len() as u16).map_err(TileError::from)?;
        out.push((id, encode_bundle(chunk.iter().copied())?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::MemoryTree;
    use crate::tile_math::changed_bundles;
    use crate::tile_reader::tile_data;

    #[test]
    fn round_trip_and_strictness() {
        let entries: Vec<&[u8]> = vec![b"", b"a", &[7u8; 300]];
        let bundle = encode_bundle(entries.iter().copied()).unwrap();
        assert_eq!(&bundle[..2], &[0, 0]);
        assert_eq!(&bundle[2..5], &[0, 1, b'a']);
        assert_eq!(&bundle[5..7], &[1, 44]); // 300, big-endian
        assert_eq!(parse_bundle(&bundle).unwrap(), entries);
        assert_eq!(
            parse_bundle(&bundle[..bundle.len() - 1]),
            Err(BundleError::Truncated)
        );
        assert_eq!(parse_bundle(&[0]), Err(BundleError::Truncated));
        assert_eq!(parse_bundle(&[]).unwrap(), Vec::<&[u8]>::new());
        let big = vec![0u8; 65_536];
        assert_eq!(
            encode_bundle([&big[..]]),
            Err(BundleError::EntryTooLarge(65_536))
        );
        let max = vec![0u8; 65_535];
        assert_eq!(
            parse_bundle(&encode_bundle([&max[..]]).unwrap()).unwrap(),
            vec![&max[..]]
        );
        let many = vec![&b"x"[..]; 257];
        assert_eq!(
            encode_bundle(many.iter().copied()),
            Err(BundleError::TooManyEntries)
        );
        let mut raw = encode_bundle(many[..256].iter().copied()).unwrap();
        raw.extend_from_slice(&[0, 0]);
        assert_eq!(parse_bundle(&raw), Err(BundleError::TooManyEntries));
    }

    #[test]
    fn appended_bundles_match_tiles() {
        let all: Vec<Vec<u8>> = (0..700u32)
            .map(|i| format!("entry {i}").into_bytes())
            .collect();
        let mut tree = MemoryTree::new();
        let mut stored: std::collections::BTreeMap<u64, Vec<u8>> = Default::default();
        let mut size = 0u64;
        for batch in [3usize, 253, 1, 300, 143] {
            let new: Vec<&[u8]> = all[size as usize..size as usize + batch]
                .iter()
                .map(Vec::as_slice)
                .collect();
            let partial = right_edge_bundle(size)
                .and_then(|b| stored.get(&b.index()))
                .map(Vec::as_slice);
            let out = append_entries(size, partial, &new).unwrap();
            for e in &new {
                tree.push_entry(e);
            }
            let ids: Vec<BundleId> = out.iter().map(|(b, _)| *b).collect();
            assert_eq!(ids, changed_bundles(size, tree.size()).unwrap());
            for (id, data) in out {
                let tile = tile_data(id.tile(), &tree).unwrap();
                verify_bundle(&data, &tile).unwrap();
                stored.insert(id.index(), data);
            }
            size = tree.size();
        }
        // A tampered or mismatched bundle is refused.
        let tile = tile_data(BundleId::new(0, 256).unwrap().tile(), &tree).unwrap();
        let mut data = stored[&0].clone();
        let last = data.len() - 1;
        data[last] ^= 1;
        assert_eq!(
            verify_bundle(&data, &tile),
            Err(BundleError::HashMismatch(255))
        );
        assert!(matches!(
            verify_bundle(&stored[&0], &tile[..32 * 255]),
            Err(BundleError::WrongCount { .. })
        ));
        assert!(matches!(
            append_entries(3, None, &[]),
            Err(BundleError::MissingPartial(_))
        ));
    }
}
