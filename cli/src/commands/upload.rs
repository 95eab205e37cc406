//! `fairtrain upload`: hash a file locally, sign its contribution envelope,
//! stream it to the platform (one request up to 64 MiB, 32 MiB parts above),
//! save the storage receipt and verify it against the platform's keys.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use fairtrain_consent::consent::{Scope, VerifiedConsent};
use fairtrain_consent::envelope::{
    encode_header, is_media_type, sign_envelope, verify_envelope, EnvelopeFields, HEADER_NAME,
};
use fairtrain_consent::receipt::mismatches;
use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::fields::is_urn_uuid;
use fairtrain_core::time::Timestamp;
use serde_json::{json, Value};

use crate::client::Api;
use crate::creator::{read_json, write_json, Body, Creator, KeyArg};
use crate::retry;
use crate::transfer::{self, hash_file, is_multipart, Hashes, Progress, Tracked, PART_SIZE};

/// Tries per part (the first one included).
const PART_TRIES: u32 = 4;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    key: KeyArg,
    /// The file to upload.
    file: PathBuf,
    /// The consent it is contributed under: a consent file, or a consent id
    /// (urn:uuid:…) the platform already has.
    #[arg(long, value_name = "FILE|ID")]
    consent: String,
    /// The contribution's scope (public_profile, public_posts, private_messages, metadata).
    #[arg(long)]
    scope: Scope,
    /// Media type (default: from the file extension).
    #[arg(long)]
    media_type: Option<String>,
    /// Licence id (default: the consent's).
    #[arg(long)]
    license: Option<String>,
    /// Where to save the receipt (default: <file>.receipt.json).
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// A saved key set to verify the receipt with (default: fetched from --url).
    #[arg(long, value_name = "FILE")]
    keys: Option<PathBuf>,
}

pub fn run(api: &Api, args: Args) -> Result<()> {
    let creator = args.key.load()?;
    let hashes = hash_file(&args.file, PART_SIZE)?;
    let consent = resolve_consent(api, &creator, &args.consent)?;
    ensure!(
        consent.creator == *creator.did(),
        "consent {} was granted by {}, not by {}",
        consent.id,
        consent.creator,
        creator.did()
    );
    ensure!(
        consent.covers(&hashes.digest),
        "consent {} does not cover {} ({}); sign a consent for this file with `fairtrain consent sign --asset {}`",
        consent.id,
        args.file.display(),
        hashes.digest,
        args.file.display()
    );
    if !consent.has_scope(args.scope) {
        eprintln!(
            "warning: consent {} does not grant scope {}; the upload will be held for compliance",
            consent.id, args.scope
        );
    }
    let media_type = args
        .media_type
        .clone()
        .unwrap_or_else(|| transfer::guess_media_type(&args.file).to_owned());
    ensure!(
        is_media_type(&media_type),
        "--media-type must be a lowercase type/subtype without parameters"
    );
    let envelope = sign_envelope(
        &EnvelopeFields {
            content_hash: hashes.digest,
            consent_id: consent.id.clone(),
            license: args
                .license
                .clone()
                .unwrap_or_else(|| consent.license.id.clone()),
            media_type: media_type.clone(),
            scope: args.scope,
            size: hashes.size,
            timestamp: Timestamp::now(),
        },
        creator.key(),
    )?;
    let sent_envelope = verify_envelope(&envelope)?;

    let receipt = if is_multipart(hashes.size) {
        multipart(
            api,
            &creator,
            &args.file,
            &hashes,
            &envelope,
            &std::thread::sleep,
        )?
    } else {
        single(api, &creator, &args.file, &hashes, &media_type, &envelope)?
    };

    let out = args.out.clone().unwrap_or_else(|| {
        let mut p = args.file.clone().into_os_string();
        p.push(".receipt.json");
        PathBuf::from(p)
    });
    if let Err(e) = write_json(&out, &receipt) {
        // Never lose a receipt: print it instead.
        super::print_json(&receipt)?;
        return Err(e.context("the receipt is printed above"));
    }
    eprintln!("saved the receipt to {}", out.display());

    let verified = super::receipt::verify(api, args.keys.as_deref(), &receipt)?;
    let differ = mismatches(&verified.fields, &sent_envelope);
    ensure!(
        differ.is_empty(),
        "the receipt does not match what was uploaded: {}",
        differ.join(", ")
    );
    super::print_json(&json!({
        "receipt_id": verified.fields.receipt_id,
        "route": verified.fields.route,
        "route_reason": verified.fields.route_reason,
        "receipt": out.display().to_string(),
    }))
}

/// The consent from a file, or from the platform by id; verified now.
fn resolve_consent(api: &Api, creator: &Creator, arg: &str) -> Result<VerifiedConsent> {
    let path = Path::new(arg);
    let token = if path.is_file() {
        read_json(path, 1 << 20)?
    } else if is_urn_uuid(arg) {
        super::consent::fetch(api, creator, arg)?
            .get("consent")
            .cloned()
            .context("the platform's answer has no consent")?
    } else {
        bail!("--consent must be a consent file or a consent id (urn:uuid:…)");
    };
    super::consent::check(&token, Timestamp::now())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// One streamed request: `len` bytes of a file, from where it is positioned.
struct Outgoing<'a> {
    method: &'a str,
    path: String,
    len: u64,
    digest: Sha256Digest,
    content_type: &'a str,
    headers: Vec<(&'static str, String)>,
}

/// Sends `req` with the bytes of `file`, checking that what was sent hashes
/// to the digest the request declared.
fn send_bytes(
    api: &Api,
    creator: &Creator,
    file: &mut File,
    req: Outgoing<'_>,
    progress: &mut Progress,
) -> Result<Value> {
    let mut tracked = Tracked::new(file.take(req.len), progress);
    let answer = creator.send(
        api,
        req.method,
        &req.path,
        Body::Stream {
            reader: &mut tracked,
            len: req.len,
            digest: req.digest,
            content_type: req.content_type,
            headers: req.headers,
        },
    )?;
    ensure!(
        tracked.hasher.len() == req.len && tracked.hasher.clone().finish() == req.digest,
        "the file changed while it was being uploaded"
    );
    Ok(answer)
}

fn single(
    api: &Api,
    creator: &Creator,
    path: &Path,
    hashes: &Hashes,
    media_type: &str,
    envelope: &Value,
) -> Result<Value> {
    let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut progress = Progress::new(format!("uploading {}", file_name(path)), hashes.size);
    let req = Outgoing {
        method: "POST",
        path: "/v1/assets".into(),
        len: hashes.size,
        digest: hashes.digest,
        content_type: media_type,
        headers: vec![(HEADER_NAME, encode_header(envelope)?)],
    };
    let receipt = send_bytes(api, creator, &mut file, req, &mut progress)?;
    progress.finish();
    Ok(receipt)
}

/// Sends one part, again after a failure that may pass: no answer at all,
/// 429 or a 5xx. A part may be sent again safely: the platform keeps the
/// last upload of a part number, and records each part once, in order. When
/// an earlier try was recorded but its answer lost, the platform says the
/// next part is already past this one: that is this part's acknowledgement.
#[allow(clippy::too_many_arguments)]
fn send_part(
    api: &Api,
    creator: &Creator,
    file: &mut File,
    upload_id: &str,
    part: &transfer::Part,
    digest: Sha256Digest,
    progress: &mut Progress,
    sleep: &dyn Fn(Duration),
) -> Result<()> {
    for attempt in 1..=PART_TRIES {
        file.seek(SeekFrom::Start(part.offset))?;
        let req = Outgoing {
            method: "PUT",
            path: format!("/v1/uploads/{upload_id}/parts/{}", part.number),
            len: part.len,
            digest,
            content_type: "application/octet-stream",
            headers: Vec::new(),
        };
        let e = match send_bytes(api, creator, file, req, progress) {
            Ok(answer) => {
                ensure!(
                    answer.get("part").and_then(Value::as_u64) == Some(u64::from(part.number))
                        && answer.get("size").and_then(Value::as_u64) == Some(part.len),
                    "the platform acknowledged something else than part {} ({} bytes): {answer}",
                    part.number,
                    part.len
                );
                return Ok(());
            }
            Err(e) => e,
        };
        if attempt > 1 && already_recorded(&e, part.number) {
            return Ok(());
        }
        let Some(wait) = retry::wait_before_retry(&e, attempt, PART_TRIES) else {
            return Err(e.context(format!("sending part {}", part.number)));
        };
        eprintln!(
            "part {}: {e:#}; sending it again in {}s (try {} of {PART_TRIES})",
            part.number,
            wait.as_secs(),
            attempt + 1
        );
        sleep(wait);
    }
    bail!("part {} was not sent", part.number)
}

/// A 409 whose `next_part` is past `number`: the part is recorded.
fn already_recorded(e: &anyhow::Error, number: u32) -> bool {
    retry::refused(e)
        .filter(|r| r.status == 409)
        .and_then(|r| r.problem.as_ref())
        .and_then(|p| p.extensions.get("next_part"))
        .and_then(Value::as_u64)
        .is_some_and(|next| next > u64::from(number))
}

/// `upload_id`s go into paths: keep them to URL-safe characters.
fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn multipart(
    api: &Api,
    creator: &Creator,
    path: &Path,
    hashes: &Hashes,
    envelope: &Value,
    sleep: &dyn Fn(Duration),
) -> Result<Value> {
    let created = creator.send(
        api,
        "POST",
        "/v1/uploads",
        Body::Json(&json!({ "envelope": envelope })),
    )?;
    let upload_id = created
        .get("upload_id")
        .and_then(Value::as_str)
        .filter(|id| is_safe_id(id))
        .context("the platform answered without a usable upload_id")?
        .to_owned();
    let result = (|| -> Result<Value> {
        let part_size = created
            .get("part_size")
            .and_then(Value::as_u64)
            .filter(|s| *s > 0)
            .context("the platform answered without a part_size")?;
        let plan = transfer::parts(hashes.size, part_size)?;
        let mut file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
        let mut progress = Progress::new(format!("uploading {}", file_name(path)), hashes.size);
        for part in &plan {
            let planned = hashes.parts.get(part.number as usize - 1);
            let digest = if let (true, Some(d)) = (part_size == hashes.part_size, planned) {
                *d
            } else {
                file.seek(SeekFrom::Start(part.offset))?;
                transfer::hash_reader(
                    (&mut file).take(part.len),
                    part.len,
                    &mut Progress::silent(),
                )?
                .digest
            };
            send_part(
                api,
                creator,
                &mut file,
                &upload_id,
                part,
                digest,
                &mut progress,
                sleep,
            )?;
        }
        progress.finish();
        creator.send(
            api,
            "POST",
            &format!("/v1/uploads/{upload_id}/complete"),
            Body::Json(&json!({})),
        )
    })();
    if result.is_err() {
        match creator.send(
            api,
            "DELETE",
            &format!("/v1/uploads/{upload_id}"),
            Body::None,
        ) {
            Ok(_) => eprintln!("aborted upload {upload_id}"),
            Err(e) => eprintln!("could not abort upload {upload_id}: {e:#}"),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_platform::market::{grant, register};
    use crate::test_platform::TestPlatform;
    use fairtrain_app::contributions::limits::MIN_PART_BYTES;
    use fairtrain_consent::consent::Use;
    use fairtrain_consent::fixture::{ConsentBuilder, EnvelopeBuilder};
    use fairtrain_consent::receipt::verify_receipt;
    use fairtrain_core::ed25519::SigningKey;
    use fairtrain_core::encoding::base64url_encode;
    use fairtrain_core::fields::urn_uuid_v4;

    struct Fixture {
        dir: PathBuf,
        platform: TestPlatform,
        api: Api,
        creator: Creator,
        key_file: PathBuf,
        file: PathBuf,
        consent_file: PathBuf,
        consent_id: String,
    }

    fn fixture(name: &str, bytes: &[u8]) -> Fixture {
        let dir =
            std::env::temp_dir().join(format!("fairtrain-upload-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let key = SigningKey::from_seed(&crate::random::bytes::<32>().unwrap());
        let creator = Creator::from_key(key.clone());
        let key_file = dir.join("key.json");
        write_json(
            &key_file,
            &json!({"did": creator.did().to_string(), "seed": base64url_encode(&key.seed())}),
        )
        .unwrap();
        let file = dir.join("photo.png");
        std::fs::write(&file, bytes).unwrap();
        let now = Timestamp::now();
        let token = ConsentBuilder::new()
            .id(urn_uuid_v4(crate::random::bytes::<16>().unwrap()))
            .valid(now, now.checked_add_seconds(86_400).unwrap())
            .assets(vec![Sha256Digest::of(bytes)])
            .uses(vec![Use::AiTraining])
            .commercial(false)
            .sign(&key, now);
        let consent_file = dir.join("consent.json");
        write_json(&consent_file, &token).unwrap();
        let platform = TestPlatform::start();
        let consent_id = platform.with(|p| {
            p.set_now(now);
            register(p, &key);
            grant(p, &key, &token)
        });
        let api = Api::new(&platform.url, None);
        Fixture {
            dir,
            platform,
            api,
            creator,
            key_file,
            file,
            consent_file,
            consent_id,
        }
    }

    fn args(f: &Fixture, consent: &str) -> Args {
        Args {
            key: KeyArg {
                path: f.key_file.clone(),
            },
            file: f.file.clone(),
            consent: consent.to_owned(),
            scope: Scope::PublicPosts,
            media_type: None,
            license: None,
            out: Some(f.dir.join("receipt.json")),
            keys: None,
        }
    }

    #[test]
    fn single_upload_end_to_end() {
        let f = fixture("single", b"\x89PNG not really, but bytes");
        run(&f.api, args(&f, f.consent_file.to_str().unwrap())).unwrap();
        let receipt = read_json(&f.dir.join("receipt.json"), 1 << 20).unwrap();
        let keys = f.platform.published_keys();
        let v = verify_receipt(&receipt, &keys).unwrap();
        assert_eq!(v.fields.media_type, "image/png");
        assert_eq!(v.fields.consent_id, f.consent_id);
        assert_eq!(v.fields.contributor, *f.creator.did());
        assert_eq!(stored(&f, &v.fields.receipt_id), v.fields.content_hash);
        let requests = f.platform.log().requests.clone();
        assert_eq!(
            requests,
            vec!["POST /v1/assets", "GET /.well-known/fairtrain/keys"]
        );

        // `fairtrain receipt verify` offline, with a saved key set and the asset.
        let keys_file = f.dir.join("keys.json");
        write_json(&keys_file, &f.platform.key_set()).unwrap();
        let verify = |asset: &Path| {
            super::super::receipt::run(
                &Api::new("http://127.0.0.1:9", None),
                super::super::receipt::Command::Verify {
                    file: f.dir.join("receipt.json"),
                    keys: Some(keys_file.clone()),
                    asset: Some(asset.to_owned()),
                },
            )
        };
        verify(&f.file).unwrap();
        let other = f.dir.join("other.bin");
        std::fs::write(&other, b"other").unwrap();
        assert!(verify(&other).is_err());

        // By consent id: fetched from the platform (a signed GET).
        let mut a = args(&f, &f.consent_id);
        a.out = Some(f.dir.join("receipt2.json"));
        run(&f.api, a).unwrap();
        assert!(f
            .platform
            .log()
            .requests
            .contains(&format!("GET /v1/consents/{}", f.consent_id)));
        std::fs::remove_dir_all(&f.dir).unwrap();
    }

    #[test]
    fn refuses_uncovered_files_and_foreign_consents() {
        let f = fixture("refuse", b"covered bytes");
        std::fs::write(&f.file, b"other bytes").unwrap();
        let err = run(&f.api, args(&f, f.consent_file.to_str().unwrap())).unwrap_err();
        assert!(err.to_string().contains("does not cover"), "{err}");
        let g = fixture("refuse-other", b"covered bytes");
        let mut a = args(&f, g.consent_file.to_str().unwrap());
        a.file = g.file.clone();
        let err = run(&f.api, a).unwrap_err();
        assert!(err.to_string().contains("was granted by"), "{err}");
        assert!(f.platform.log().requests.is_empty(), "nothing was sent");
        let err = run(&f.api, args(&f, "not-a-consent")).unwrap_err();
        assert!(err.to_string().contains("--consent"), "{err}");
        std::fs::remove_dir_all(&f.dir).unwrap();
        std::fs::remove_dir_all(&g.dir).unwrap();
    }

    /// A multipart upload of the fixture's file, planned with parts of
    /// `planned` bytes: the file's hashes, and the receipt.
    fn in_parts(f: &Fixture, planned: u64) -> (Hashes, Result<Value>) {
        let hashes = hash_file(&f.file, planned).unwrap();
        let envelope = EnvelopeBuilder::new()
            .content(hashes.digest, hashes.size)
            .consent_id(&f.consent_id)
            .timestamp(Timestamp::now())
            .sign(f.creator.key());
        let no_sleep = |_| {};
        let receipt = multipart(&f.api, &f.creator, &f.file, &hashes, &envelope, &no_sleep);
        (hashes, receipt)
    }

    /// The asset hash of the contribution `receipt_id` the platform stored.
    fn stored(f: &Fixture, receipt_id: &str) -> Sha256Digest {
        f.platform.with(|p| {
            let s = p.state.borrow();
            s.contributions.contributions[receipt_id]
                .asset_hash
                .parse()
                .unwrap()
        })
    }

    /// A fixture for a file of two parts of the platform's smallest part
    /// size and a bit, which the platform cuts in parts of that size.
    fn multipart_fixture(name: &str, bytes: impl Fn(u64) -> u8) -> Fixture {
        let bytes: Vec<u8> = (0..2 * MIN_PART_BYTES + 500).map(bytes).collect();
        let f = fixture(name, &bytes);
        f.platform.platform().settings_mut().uploads.part_bytes = MIN_PART_BYTES;
        f
    }

    /// The upload id in "PUT /v1/uploads/{id}/parts/{n}".
    fn upload_id(request: &str) -> &str {
        let path = request.strip_prefix("PUT /v1/uploads/").unwrap();
        path.split('/').next().unwrap()
    }

    /// The requests of one multipart upload of three parts, in order.
    fn three_parts(id: &str) -> Vec<String> {
        let mut requests = vec!["POST /v1/uploads".to_owned()];
        requests.extend((1..=3).map(|n| format!("PUT /v1/uploads/{id}/parts/{n}")));
        requests.push(format!("POST /v1/uploads/{id}/complete"));
        requests
    }

    #[test]
    fn multipart_in_order_with_part_digests() {
        let f = multipart_fixture("multipart", |i| (i % 253) as u8);
        // Planned with another part size: the parts are hashed again.
        let (hashes, receipt) = in_parts(&f, PART_SIZE);
        let receipt = receipt.unwrap();
        assert_eq!(receipt["content_hash"], json!(hashes.digest));
        let receipt_id = receipt["receipt_id"].as_str().unwrap();
        assert_eq!(stored(&f, receipt_id), hashes.digest);
        // Planned with the server's part size: the one-pass digests are used.
        let (hashes, receipt) = in_parts(&f, MIN_PART_BYTES);
        assert_eq!(hashes.parts.len(), 3);
        receipt.unwrap();
        let requests = f.platform.log().requests.clone();
        let (first, second) = (upload_id(&requests[1]), upload_id(&requests[6]));
        assert_ne!(first, second);
        assert_eq!(requests[..5], three_parts(first));
        assert_eq!(requests[5..], three_parts(second));
        std::fs::remove_dir_all(&f.dir).unwrap();
    }

    #[test]
    fn a_failed_multipart_upload_is_aborted() {
        let f = multipart_fixture("abort", |_| 7);
        f.platform.faults().fail_part = Some(2);
        let err = in_parts(&f, MIN_PART_BYTES).1.unwrap_err();
        assert!(format!("{err:#}").contains("part refused"), "{err:#}");
        let requests = f.platform.log().requests.clone();
        let id = upload_id(&requests[1]);
        assert_eq!(
            requests.last().unwrap(),
            &format!("DELETE /v1/uploads/{id}")
        );
        f.platform.with(|p| {
            let s = p.state.borrow();
            assert!(s.contributions.uploads.is_empty(), "the upload is gone");
            assert_eq!(s.contributions.aborted.len(), 1, "its parts abandoned");
        });
        std::fs::remove_dir_all(&f.dir).unwrap();
    }

    #[test]
    fn a_part_recorded_but_unanswered_counts_as_sent() {
        let f = multipart_fixture("lost", |i| (i % 7) as u8);
        f.platform.faults().lose_part_answer = Some(2);
        let (hashes, receipt) = in_parts(&f, MIN_PART_BYTES);
        assert_eq!(receipt.unwrap()["content_hash"], json!(hashes.digest));
        let requests = f.platform.log().requests.clone();
        let mut expected = three_parts(upload_id(&requests[1]));
        // Part 2 again, answered "the next part is 3": it was recorded.
        expected.insert(3, expected[2].clone());
        assert_eq!(requests, expected);
        std::fs::remove_dir_all(&f.dir).unwrap();
    }
}
