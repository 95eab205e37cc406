//! `fairtrain payouts statement|verify`: a creator's statement for one
//! settlement and the platform's settlement statement, verified offline with
//! `fairtrain-settlement` against the published key set: both signatures,
//! every ledger line's inclusion proof in the settlement's usage root, the
//! per-currency sums, and the two statements' agreement.

use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context, Result};
use fairtrain_core::did_key::DidKey;
use fairtrain_core::fields::is_urn_uuid;
use fairtrain_core::key_set::PublishedKey;
use fairtrain_core::money::{format_major, Atto};
use fairtrain_settlement::{
    verify_creator_statement, verify_settlement, StatementPayout, VerifiedCreatorStatement,
    VerifiedSettlement, CREATOR_STATEMENT_TYPE, SETTLEMENT_STATEMENT_TYPE,
};
use serde_json::{json, Value};

use crate::client::Api;
use crate::creator::{read_json, write_json, Body, Creator};

/// Largest statement file read (a creator statement carries every line
/// with its proof).
const MAX_STATEMENT_FILE: u64 = 256 << 20;

#[derive(clap::Args)]
pub struct Args {
    /// A saved key set (`fairtrain keys fetch --out FILE`) for fully offline
    /// use; without it the key set is fetched from --url and verified.
    #[arg(long, global = true, value_name = "FILE")]
    keys: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Fetch a creator's statement for a settlement and the settlement
    /// statement, and verify both offline: signatures, every line's
    /// inclusion proof, the sums, their agreement. Uses the bearer token
    /// (operator or auditor), or signs the requests as the creator with
    /// --creator-key.
    Statement {
        /// The creator's did:key.
        creator: String,
        /// The settlement id (urn:uuid:…).
        #[arg(long, value_name = "ID")]
        settlement: String,
        /// Sign the requests as the creator (RFC 9421) with this key file
        /// (from `fairtrain keygen`) instead of sending the bearer token.
        #[arg(long, value_name = "FILE")]
        creator_key: Option<PathBuf>,
        /// Print both signed documents instead of the summary.
        #[arg(long)]
        json: bool,
        /// Save the creator statement here.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Save the settlement statement here.
        #[arg(long, value_name = "FILE")]
        settlement_out: Option<PathBuf>,
    },
    /// Verify a saved creator statement (or a settlement statement alone)
    /// offline; with --settlement, also that the two agree.
    Verify {
        /// A saved creator statement, or a settlement statement.
        file: PathBuf,
        /// The saved settlement statement the creator statement belongs to.
        #[arg(long, value_name = "FILE")]
        settlement: Option<PathBuf>,
    },
}

pub fn run(api: &Api, args: Args) -> Result<()> {
    let keys_file = args.keys.as_deref();
    match args.command {
        Command::Statement {
            creator,
            settlement,
            creator_key,
            json,
            out,
            settlement_out,
        } => {
            let did = creator_did(&creator)?;
            ensure!(
                is_urn_uuid(&settlement),
                "a settlement id is urn:uuid:<lowercase uuid>"
            );
            let signer = creator_key.as_deref().map(Creator::load).transpose()?;
            if let Some(signer) = &signer {
                ensure!(
                    signer.did().to_string() == did,
                    "--creator-key is the key of {}, not of {did}",
                    signer.did()
                );
            }
            let keys = platform_keys(api, keys_file)?;
            let get = |path: &str| match &signer {
                Some(s) => s.send(api, "GET", path, Body::None),
                None => api.get(path),
            };
            let answer = get(&format!("/v1/settlements/{settlement}"))?;
            let settlement_doc = answer
                .get("statement")
                .cloned()
                .context("the settlement answer has no statement")?;
            let doc = get(&format!("/v1/settlements/{settlement}/creators/{did}"))?;
            let v = verify_creator_statement(&doc, Some(&settlement_doc), &keys).context(
                "the creator statement does not verify against the settlement statement",
            )?;
            let s = v
                .settlement
                .as_ref()
                .context("the settlement statement was not checked")?;
            ensure!(
                s.fields.settlement_id == settlement,
                "asked for settlement {settlement}, the platform answered with {}",
                s.fields.settlement_id
            );
            ensure!(
                v.fields.creator == did,
                "asked for {did}'s statement, the platform answered with {}'s",
                v.fields.creator
            );
            report_settlement(s);
            report_creator(&v);
            if let Some(path) = &out {
                write_json(path, &doc)?;
                eprintln!("    creator statement saved to {}", path.display());
            }
            if let Some(path) = &settlement_out {
                write_json(path, &settlement_doc)?;
                eprintln!("    settlement statement saved to {}", path.display());
            }
            if json {
                super::print_json(
                    &json!({ "settlement_statement": settlement_doc, "creator_statement": doc }),
                )
            } else {
                super::print_json(&creator_summary(&v))
            }
        }
        Command::Verify { file, settlement } => {
            let doc = read_json(&file, MAX_STATEMENT_FILE)?;
            let settlement_doc = settlement
                .as_deref()
                .map(|p| read_json(p, MAX_STATEMENT_FILE))
                .transpose()?;
            let keys = platform_keys(api, keys_file)?;
            if has_type(&doc, SETTLEMENT_STATEMENT_TYPE) {
                ensure!(
                    settlement_doc.is_none(),
                    "{} is a settlement statement: --settlement is for a creator statement's",
                    file.display()
                );
                let s = verify_settlement(&doc, &keys)
                    .with_context(|| format!("{} does not verify", file.display()))?;
                report_settlement(&s);
                return super::print_json(&settlement_summary(&s));
            }
            if !has_type(&doc, CREATOR_STATEMENT_TYPE) {
                bail!(
                    "{} is neither a {CREATOR_STATEMENT_TYPE} nor a {SETTLEMENT_STATEMENT_TYPE}",
                    file.display()
                );
            }
            let v = verify_creator_statement(&doc, settlement_doc.as_ref(), &keys).with_context(
                || match &settlement {
                    Some(s) => {
                        format!("{} does not verify against {}", file.display(), s.display())
                    }
                    None => format!("{} does not verify", file.display()),
                },
            )?;
            match &v.settlement {
                Some(s) => report_settlement(s),
                None => eprintln!(
                    "note: not checked against the settlement statement (give --settlement FILE); \
                     it names statement_hash {}",
                    v.fields.statement_hash
                ),
            }
            report_creator(&v);
            super::print_json(&creator_summary(&v))
        }
    }
}

fn platform_keys(api: &Api, file: Option<&Path>) -> Result<Vec<PublishedKey>> {
    Ok(super::keys::load(api, file)?.1)
}

/// A did:key in its one spelling.
fn creator_did(text: &str) -> Result<String> {
    let did = DidKey::parse(text).with_context(|| format!("{text} is not a did:key"))?;
    ensure!(
        did.to_string() == text,
        "{text} is not in the canonical did:key spelling ({did})"
    );
    Ok(did.to_string())
}

fn has_type(doc: &Value, kind: &str) -> bool {
    doc.get("type")
        .and_then(Value::as_array)
        .is_some_and(|types| types.iter().any(|t| t.as_str() == Some(kind)))
}

/// Atto-units (10^-18 of a minor unit) as an exact major-unit decimal,
/// without trailing zeros: 3 * 10^17 atto-cents → "0.003".
pub fn atto_major(atto: Atto, minor_units: u8) -> String {
    let text = format_major(atto.0, minor_units.saturating_add(18));
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn payout_json(sp: &StatementPayout) -> Value {
    let p = &sp.payout;
    json!({
        "line_id": sp.line_id,
        "currency": p.currency,
        "minor_units": p.minor_units,
        "paid_minor": p.amount_minor.to_string(),
        "paid": format_major(p.amount_minor, p.minor_units),
        "accrued": atto_major(p.accrued, p.minor_units),
        "carried_in": atto_major(p.carried_in, p.minor_units),
        "carried_out": atto_major(p.carried_out, p.minor_units),
        "accrued_atto": p.accrued,
        "carried_in_atto": p.carried_in,
        "carried_out_atto": p.carried_out,
        "line_count": p.line_count,
    })
}

fn report_settlement(s: &VerifiedSettlement) {
    let f = &s.fields;
    eprintln!(
        "ok  settlement {} for {} to {}, signed by platform key {} at {}",
        f.settlement_id,
        f.period_start.format_rfc3339(),
        f.period_end.format_rfc3339(),
        s.signed_by.kid,
        s.signed_at.format_rfc3339()
    );
    eprintln!(
        "    {} ledger lines, usage_root {}, {} payout lines; statement_hash {}",
        f.line_count,
        f.usage_root.to_base64(),
        f.payouts.len(),
        s.statement_hash
    );
    for t in &f.currency_totals {
        eprintln!(
            "    {}: paid {} ({} minor units), carried out {}",
            t.currency,
            format_major(t.paid_minor, t.minor_units),
            t.paid_minor,
            atto_major(t.carried_out, t.minor_units)
        );
    }
}

fn report_creator(v: &VerifiedCreatorStatement) {
    let f = &v.fields;
    eprintln!(
        "ok  creator statement {} for {}, signed by platform key {} at {}{}",
        f.statement_id,
        f.creator,
        v.signed_by.kid,
        v.signed_at.format_rfc3339(),
        if v.settlement.is_some() {
            "; agrees with the settlement statement"
        } else {
            ""
        }
    );
    for sp in &f.payouts {
        let p = &sp.payout;
        eprintln!(
            "    {}: paid {} ({} minor units); accrued {} in {} lines, carried in {}, carried out {}",
            p.currency,
            format_major(p.amount_minor, p.minor_units),
            p.amount_minor,
            atto_major(p.accrued, p.minor_units),
            p.line_count,
            atto_major(p.carried_in, p.minor_units),
            atto_major(p.carried_out, p.minor_units)
        );
    }
    eprintln!(
        "    {} usage lines, each verified by its inclusion proof in usage_root {} ({} lines)",
        f.lines.len(),
        f.usage_root.to_base64(),
        f.tree_size
    );
}

fn creator_summary(v: &VerifiedCreatorStatement) -> Value {
    let f = &v.fields;
    let mut out = json!({
        "creator": f.creator,
        "settlement_id": f.settlement_id,
        "statement_id": f.statement_id,
        "statement_hash": f.statement_hash,
        "usage_root": f.usage_root.to_base64(),
        "tree_size": f.tree_size,
        "payouts": f.payouts.iter().map(payout_json).collect::<Vec<_>>(),
        "usage_lines": f.lines.len(),
        "lines_verified": "inclusion",
        "signed_by": v.signed_by.kid,
        "signed_at": v.signed_at.format_rfc3339(),
        "checked_against_settlement": v.settlement.is_some(),
    });
    if let (Some(s), Some(obj)) = (&v.settlement, out.as_object_mut()) {
        obj.insert(
            "period_start".into(),
            json!(s.fields.period_start.format_rfc3339()),
        );
        obj.insert(
            "period_end".into(),
            json!(s.fields.period_end.format_rfc3339()),
        );
    }
    out
}

fn settlement_summary(s: &VerifiedSettlement) -> Value {
    let f = &s.fields;
    json!({
        "settlement_id": f.settlement_id,
        "period_start": f.period_start.format_rfc3339(),
        "period_end": f.period_end.format_rfc3339(),
        "usage_root": f.usage_root.to_base64(),
        "line_count": f.line_count,
        "currency_totals": f.currency_totals.iter().map(|t| json!({
            "currency": t.currency,
            "minor_units": t.minor_units,
            "paid_minor": t.paid_minor.to_string(),
            "paid": format_major(t.paid_minor, t.minor_units),
            "accrued": atto_major(t.accrued, t.minor_units),
            "carried_in": atto_major(t.carried_in, t.minor_units),
            "carried_out": atto_major(t.carried_out, t.minor_units),
        })).collect::<Vec<_>>(),
        "payout_lines": f.payouts.len(),
        "statement_hash": s.statement_hash,
        "signed_by": s.signed_by.kid,
        "signed_at": s.signed_at.format_rfc3339(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_platform::market::{self, creator_key, done, issue, market, settle, t};
    use crate::test_platform::TestPlatform;
    use fairtrain_app::memory::ADMIN_TOKEN;
    use fairtrain_app::settlements;
    use fairtrain_core::ed25519::SigningKey;
    use fairtrain_core::encoding::base64url_encode;
    use fairtrain_core::money::ATTO_PER_MINOR;
    use fairtrain_core::principal::Role;
    use fairtrain_core::time::Timestamp;
    use fairtrain_settlement::sign_settlement;

    fn creator(n: u8) -> String {
        market::did(&creator_key(n)).to_string()
    }

    /// A platform that settled March 2026: creator 1 is paid 1.20 USD for
    /// 2400 samples in two events; creator 2 accrued 40 cents for 800,
    /// under the minimum payout: carried. Returns the settlement id.
    fn settled() -> (TestPlatform, String) {
        let platform = TestPlatform::start();
        let id = platform.with(|p| {
            let m = market(
                p,
                &[&["one's"], &["two's"]],
                1,
                &SigningKey::from_seed(&[90; 32]),
            );
            let model = "model-7b";
            m.train(p, &[("one's", 1200, model), ("one's", 1200, model)]);
            m.train(p, &[("two's", 800, model)]);
            p.set_now(t("2026-04-01T00:00:00Z"));
            settle(p).settlement_id
        });
        (platform, id)
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("fairtrain-payouts-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn statement_cmd(
        creator: String,
        settlement: &str,
        key: Option<PathBuf>,
        out: Option<PathBuf>,
    ) -> Args {
        Args {
            keys: None,
            command: Command::Statement {
                creator,
                settlement: settlement.to_owned(),
                creator_key: key,
                json: false,
                out: out.clone(),
                settlement_out: out.map(|o| o.with_extension("settlement.json")),
            },
        }
    }

    fn verify_cmd(file: PathBuf, settlement: Option<PathBuf>) -> Args {
        Args {
            keys: None,
            command: Command::Verify { file, settlement },
        }
    }

    #[test]
    fn major_units_are_exact() {
        assert_eq!(atto_major(Atto(0), 2), "0");
        assert_eq!(atto_major(Atto(1100 * ATTO_PER_MINOR), 2), "11");
        assert_eq!(atto_major(Atto(1105 * ATTO_PER_MINOR), 2), "11.05");
        assert_eq!(atto_major(Atto(3 * ATTO_PER_MINOR / 10), 2), "0.003");
        assert_eq!(atto_major(Atto(7), 2), "0.00000000000000000007");
        assert_eq!(atto_major(Atto(5 * ATTO_PER_MINOR), 0), "5");
        assert_eq!(format_major(1100, 2), "11.00");
    }

    #[test]
    fn statement_with_the_bearer_token_then_offline() {
        let dir = temp_dir("bearer");
        let (platform, id) = settled();
        let api = Api::new(&platform.url, Some(ADMIN_TOKEN.into()));
        let out = dir.join("creator-1.json");
        run(
            &api,
            statement_cmd(creator(1), &id, None, Some(out.clone())),
        )
        .unwrap();
        let settlement = out.with_extension("settlement.json");
        let s = platform.log();
        assert_eq!(s.bearer, Some(format!("Bearer {ADMIN_TOKEN}")));
        assert!(s
            .requests
            .contains(&format!("GET /v1/settlements/{id}/creators/{}", creator(1))));
        drop(s);
        // The saved files verify offline, together and alone.
        let keys = dir.join("keys.json");
        write_json(&keys, &platform.key_set()).unwrap();
        let published = platform.published_keys();
        let saved = verify_creator_statement(
            &read_json(&out, 1 << 20).unwrap(),
            Some(&read_json(&settlement, 1 << 20).unwrap()),
            &published,
        )
        .unwrap();
        let paid = &saved.fields.payouts[0].payout;
        assert_eq!((paid.amount_minor, paid.line_count), (120, 2));
        let offline = Api::new("http://127.0.0.1:9", None);
        let with_keys = |mut a: Args| {
            a.keys = Some(keys.clone());
            a
        };
        run(
            &offline,
            with_keys(verify_cmd(out.clone(), Some(settlement.clone()))),
        )
        .unwrap();
        run(&offline, with_keys(verify_cmd(out.clone(), None))).unwrap();
        run(&offline, with_keys(verify_cmd(settlement.clone(), None))).unwrap();
        // The statement is not this settlement's: its hash differs.
        let mut other = read_json(&settlement, 1 << 20).unwrap();
        other["credentialSubject"]["period_start"] = json!("2026-03-01T00:00:00Z");
        let tampered = dir.join("tampered.json");
        write_json(&tampered, &other).unwrap();
        let err = run(
            &offline,
            with_keys(verify_cmd(out.clone(), Some(tampered.clone()))),
        )
        .unwrap_err();
        assert!(
            format!("{err:#}").contains("signature does not verify"),
            "{err:#}"
        );
        // A creator statement edited after signing.
        let mut doc = read_json(&out, 1 << 20).unwrap();
        doc["credentialSubject"]["lines"][0]["line"]["units"] = json!(999);
        write_json(&tampered, &doc).unwrap();
        assert!(run(&offline, with_keys(verify_cmd(tampered.clone(), None))).is_err());
        // Not a statement at all.
        write_json(
            &tampered,
            &json!({"type": ["VerifiableCredential", "Other"]}),
        )
        .unwrap();
        assert!(run(&offline, with_keys(verify_cmd(tampered, None))).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn statement_signed_as_the_creator() {
        let dir = temp_dir("signed");
        let (platform, id) = settled();
        let api = Api::new(&platform.url, None);
        let key = dir.join("creator.json");
        let k = creator_key(2);
        write_json(
            &key,
            &json!({"did": creator(2), "seed": base64url_encode(&k.seed())}),
        )
        .unwrap();
        let out = dir.join("creator-2.json");
        run(
            &api,
            statement_cmd(creator(2), &id, Some(key.clone()), Some(out.clone())),
        )
        .unwrap();
        assert_eq!(platform.log().bearer, None);
        let doc = read_json(&out, 1 << 20).unwrap();
        let published = platform.published_keys();
        let carried = &verify_creator_statement(&doc, None, &published)
            .unwrap()
            .fields
            .payouts[0]
            .payout;
        assert_eq!(carried.amount_minor, 0);
        assert_eq!(carried.carried_out, Atto(40 * ATTO_PER_MINOR));
        // The key must be the creator's.
        let err = run(&api, statement_cmd(creator(1), &id, Some(key), None)).unwrap_err();
        assert!(format!("{err:#}").contains("--creator-key"), "{err:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_statement_for_someone_else_fails() {
        let (platform, id) = settled();
        let (auditor, two) = platform.with(|p| {
            let now = Timestamp::now();
            p.set_now(now);
            let expires = now.checked_add_seconds(86_400).unwrap();
            let (_, auditor) = issue(p, Role::Auditor, |k| {
                k.expires_at = Some(expires.format_rfc3339());
            });
            let operator = market::operator(p);
            let two = done(settlements::creator_statement(
                p,
                &operator,
                &id,
                &creator(2),
            ));
            (auditor, two)
        });
        // A man in the middle answers creator 1's request with creator 2's
        // statement.
        let one = format!("GET /v1/settlements/{id}/creators/{}", creator(1));
        platform
            .faults()
            .rewrite
            .insert(one, Box::new(move |_| two.clone()));
        let api = Api::new(&platform.url, Some(auditor));
        let err = run(&api, statement_cmd(creator(1), &id, None, None)).unwrap_err();
        assert!(format!("{err:#}").contains("answered with"), "{err:#}");
        // The settlement statement signed again by another key.
        let published = platform.published_keys();
        let rogue = SigningKey::from_seed(&[9; 32]);
        let forge = move |mut answer: Value| {
            let real = verify_settlement(&answer["statement"], &published).unwrap();
            answer["statement"] = sign_settlement(real.fields, &rogue, real.signed_at).unwrap();
            answer
        };
        let line = format!("GET /v1/settlements/{id}");
        platform.faults().rewrite.insert(line, Box::new(forge));
        let err = run(&api, statement_cmd(creator(2), &id, None, None)).unwrap_err();
        assert!(
            format!("{err:#}").contains("not one of the platform's published keys"),
            "{err:#}"
        );
        // Bad arguments.
        assert!(run(&api, statement_cmd("did:key:nope".into(), &id, None, None)).is_err());
    }
}
