//! Moving file bytes: streaming SHA-256 (whole file and per part, one pass),
//! the single-request / multipart plan, and progress on stderr. Files are
//! read in 1 MiB chunks; nothing holds a whole file in memory.

use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fairtrain_core::digest::{Sha256Digest, Sha256Stream};

pub const MIB: u64 = 1 << 20;
/// Up to this size a file goes in one request; above it, multipart.
pub const SINGLE_MAX: u64 = 64 * MIB;
/// The part size we plan with (the server's `part_size` decides).
pub const PART_SIZE: u64 = 32 * MIB;
/// R2 (and S3) allow at most this many parts.
pub const MAX_PARTS: u64 = 10_000;
const CHUNK: usize = MIB as usize;

/// Whether a file of `size` bytes is uploaded in parts.
pub fn is_multipart(size: u64) -> bool {
    size > SINGLE_MAX
}

/// One part: its 1-based number, offset and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub number: u32,
    pub offset: u64,
    pub len: u64,
}

/// Every part of a `size`-byte file cut in `part_size` pieces (the last one
/// the remainder). Refuses a zero part size or more than [`MAX_PARTS`] parts.
pub fn parts(size: u64, part_size: u64) -> Result<Vec<Part>> {
    if part_size == 0 {
        bail!("the part size must be positive");
    }
    let count = size.div_ceil(part_size);
    if count > MAX_PARTS {
        bail!("{size} bytes in parts of {part_size} bytes would take {count} parts; at most {MAX_PARTS} are allowed");
    }
    Ok((0..count)
        .map(|i| {
            let offset = i * part_size;
            Part {
                number: (i + 1) as u32,
                offset,
                len: part_size.min(size - offset),
            }
        })
        .collect())
}

/// A file's digest and length, and the digests of its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashes {
    pub size: u64,
    pub digest: Sha256Digest,
    pub part_size: u64,
    pub parts: Vec<Sha256Digest>,
}

/// Hashes everything `reader` yields in one pass: the whole, and each
/// `part_size` piece.
pub fn hash_reader(
    mut reader: impl Read,
    part_size: u64,
    progress: &mut Progress,
) -> Result<Hashes> {
    if part_size == 0 {
        bail!("the part size must be positive");
    }
    let mut whole = Sha256Stream::new();
    let mut part = Sha256Stream::new();
    let mut parts = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        let mut chunk = &buf[..n];
        whole.update(chunk);
        while !chunk.is_empty() {
            let room = (part_size - part.len()).min(chunk.len() as u64) as usize;
            part.update(&chunk[..room]);
            chunk = &chunk[room..];
            if part.len() == part_size {
                parts.push(std::mem::take(&mut part).finish());
            }
        }
        progress.advance(n as u64);
    }
    if !part.is_empty() {
        parts.push(part.finish());
    }
    progress.finish();
    Ok(Hashes {
        size: whole.len(),
        digest: whole.finish(),
        part_size,
        parts,
    })
}

/// Hashes a file (streaming), showing progress for large ones.
pub fn hash_file(path: &Path, part_size: u64) -> Result<Hashes> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let len = file.metadata()?.len();
    let mut progress = Progress::new(format!("hashing {}", path.display()), len);
    let hashes = hash_reader(file, part_size, &mut progress)
        .with_context(|| format!("reading {}", path.display()))?;
    if hashes.size != len {
        bail!("{} changed while it was being hashed", path.display());
    }
    Ok(hashes)
}

/// `sha256:<hex>` as given, or the digest of the named file.
pub fn digest_of_asset(arg: &str) -> Result<Sha256Digest> {
    if arg.starts_with("sha256:") {
        return arg
            .parse()
            .with_context(|| format!("{arg:?} is not a sha256:<64 lowercase hex> digest"));
    }
    Ok(hash_file(Path::new(arg), PART_SIZE)?.digest)
}

/// A reader that hashes and reports what passes through it.
pub struct Tracked<'a, R> {
    pub inner: R,
    pub hasher: Sha256Stream,
    pub progress: &'a mut Progress,
}

impl<'a, R: Read> Tracked<'a, R> {
    pub fn new(inner: R, progress: &'a mut Progress) -> Self {
        Tracked {
            inner,
            hasher: Sha256Stream::new(),
            progress,
        }
    }
}

impl<R: Read> Read for Tracked<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.progress.advance(n as u64);
        Ok(n)
    }
}

/// Progress on stderr: a self-updating line on a terminal, one line at the
/// end otherwise. Small transfers (under 8 MiB) are not reported.
pub struct Progress {
    label: String,
    total: u64,
    done: u64,
    started: Instant,
    last: Option<Instant>,
    live: bool,
    quiet: bool,
}

impl Progress {
    pub fn new(label: impl Into<String>, total: u64) -> Progress {
        Progress {
            label: label.into(),
            total,
            done: 0,
            started: Instant::now(),
            last: None,
            live: io::stderr().is_terminal(),
            quiet: total < 8 * MIB,
        }
    }

    /// A progress that never prints (tests).
    pub fn silent() -> Progress {
        let mut p = Progress::new("", 0);
        p.quiet = true;
        p
    }

    pub fn advance(&mut self, n: u64) {
        self.done = self.done.saturating_add(n);
        if self.quiet || !self.live {
            return;
        }
        let now = Instant::now();
        if self
            .last
            .is_none_or(|t| now - t >= Duration::from_millis(200))
        {
            self.last = Some(now);
            let _ = write!(io::stderr(), "\r{}", self.line());
        }
    }

    pub fn finish(&mut self) {
        if self.quiet {
            return;
        }
        let start = if self.live { "\r" } else { "" };
        let secs = self.started.elapsed().as_secs_f64().max(0.001);
        let _ = writeln!(
            io::stderr(),
            "{start}{} in {secs:.1} s ({:.1} MiB/s)",
            self.line(),
            self.done as f64 / MIB as f64 / secs
        );
        self.quiet = true;
    }

    fn line(&self) -> String {
        let pct = self
            .done
            .saturating_mul(100)
            .checked_div(self.total)
            .unwrap_or(100);
        format!(
            "{}: {:.1} / {:.1} MiB ({pct}%)",
            self.label,
            self.done as f64 / MIB as f64,
            self.total as f64 / MIB as f64
        )
    }
}

/// A media type from the file name's extension; `application/octet-stream`
/// if unknown.
pub fn guess_media_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "tif" | "tiff" => "image/tiff",
        "svg" => "image/svg+xml",
        "txt" => "text/plain",
        "md" | "markdown" => "text/markdown",
        "csv" => "text/csv",
        "json" => "application/json",
        "ndjson" | "jsonl" => "application/x-ndjson",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "ogg" | "oga" => "audio/ogg",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_math() {
        assert!(!is_multipart(0));
        assert!(!is_multipart(SINGLE_MAX));
        assert!(is_multipart(SINGLE_MAX + 1));
        let p = parts(SINGLE_MAX + 1, PART_SIZE).unwrap();
        assert_eq!(
            p,
            vec![
                Part {
                    number: 1,
                    offset: 0,
                    len: PART_SIZE
                },
                Part {
                    number: 2,
                    offset: PART_SIZE,
                    len: PART_SIZE
                },
                Part {
                    number: 3,
                    offset: 2 * PART_SIZE,
                    len: 1
                },
            ]
        );
        let exact = parts(3 * PART_SIZE, PART_SIZE).unwrap();
        assert_eq!(exact.len(), 3);
        assert_eq!(exact[2].len, PART_SIZE);
        assert_eq!(exact.iter().map(|p| p.len).sum::<u64>(), 3 * PART_SIZE);
        assert!(parts(0, PART_SIZE).unwrap().is_empty());
        assert!(parts(10, 0).is_err());
        assert_eq!(parts(MAX_PARTS * 5, 5).unwrap().len() as u64, MAX_PARTS);
        assert!(parts(MAX_PARTS * 5 + 1, 5).is_err());
        // Every byte in exactly one part, in order.
        for (size, ps) in [(1u64, 1u64), (7, 3), (9, 3), (100, 7), (5 * MIB + 3, MIB)] {
            let p = parts(size, ps).unwrap();
            let mut next = 0;
            for (i, part) in p.iter().enumerate() {
                assert_eq!(part.number as usize, i + 1);
                assert_eq!(part.offset, next);
                assert!(part.len > 0 && part.len <= ps);
                next += part.len;
            }
            assert_eq!(next, size);
        }
    }

    #[test]
    fn one_pass_hashes_whole_and_parts() {
        let data: Vec<u8> = (0..(2 * CHUNK + 12_345))
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        for part_size in [1000u64, CHUNK as u64, CHUNK as u64 + 1, 3 * CHUNK as u64] {
            let h = hash_reader(data.as_slice(), part_size, &mut Progress::silent()).unwrap();
            assert_eq!(h.size, data.len() as u64);
            assert_eq!(h.digest, Sha256Digest::of(&data));
            let expected: Vec<Sha256Digest> = data
                .chunks(part_size as usize)
                .map(Sha256Digest::of)
                .collect();
            assert_eq!(h.parts, expected, "part size {part_size}");
        }
        let empty = hash_reader(&b""[..], 10, &mut Progress::silent()).unwrap();
        assert_eq!(empty.digest, Sha256Digest::of(b""));
        assert!(empty.parts.is_empty());
    }

    #[test]
    fn tracked_reader_hashes_what_it_passes() {
        let data = b"hello world, streamed";
        let mut progress = Progress::silent();
        let mut t = Tracked::new(&data[..], &mut progress);
        let mut out = Vec::new();
        t.read_to_end(&mut out).unwrap();
        assert_eq!(out, data);
        assert_eq!(t.hasher.finish(), Sha256Digest::of(data));
    }

    #[test]
    fn assets_by_digest_or_file() {
        let d = Sha256Digest::of(b"x");
        assert_eq!(digest_of_asset(&d.to_string()).unwrap(), d);
        assert!(digest_of_asset("sha256:XYZ").is_err());
        let path = std::env::temp_dir().join(format!("fairtrain-asset-{}.bin", std::process::id()));
        std::fs::write(&path, b"some bytes").unwrap();
        assert_eq!(
            digest_of_asset(path.to_str().unwrap()).unwrap(),
            Sha256Digest::of(b"some bytes")
        );
        std::fs::remove_file(&path).unwrap();
        assert!(digest_of_asset("/nonexistent/fairtrain").is_err());
    }

    #[test]
    fn media_types() {
        assert_eq!(guess_media_type(Path::new("a/b/photo.JPG")), "image/jpeg");
        assert_eq!(
            guess_media_type(Path::new("x.jsonl")),
            "application/x-ndjson"
        );
        assert_eq!(
            guess_media_type(Path::new("noext")),
            "application/octet-stream"
        );
        for ext in ["png", "svg", "md", "mov", "zzz"] {
            let mt = guess_media_type(Path::new(&format!("f.{ext}")));
            assert!(fairtrain_consent::envelope::is_media_type(mt), "{mt}");
        }
    }
}
