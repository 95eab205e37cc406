//! Seeding D1 directly with data too large to create through the API in a
//! test: a catalogue of contributions with real, verifiable consents.

use std::fmt::Write;

use fairtrain_core::digest::Sha256Digest;
use fairtrain_core::fields::jcs_hash;

use crate::creator::{now, Creator, Terms};

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `n` assets of one creator, under consents of 200 assets each, all routed
/// TRAINING_PIPELINE. Returns the SQL and the asset hashes.
pub fn catalogue(c: &Creator, n: usize) -> (String, Vec<Sha256Digest>) {
    let hashes: Vec<Sha256Digest> = (0..n)
        .map(|i| Sha256Digest::of(format!("catalogue asset {i}").as_bytes()))
        .collect();
    let at = now().format_rfc3339();
    let did = c.did.to_string();
    let mut sql = format!(
        "INSERT INTO creators (did, registered_at) VALUES ({}, {});\n",
        q(&did),
        q(&at)
    );
    // The seed's consent policy, as if published.
    let policy_json = crate::creator::seed_policy();
    let policy = fairtrain_consent::policy::Policy::from_json(&policy_json).expect("seed policy");
    let _ = writeln!(
        sql,
        "INSERT INTO policies (version, effective_date, document, policy_hash, published_at, log_entry_hash) VALUES ('v2025.11', {}, {}, {}, {}, {});",
        q(&policy.effective_date), q(&policy_json.to_string()), q(&policy.hash().expect("hash").to_string()), q(&at), q(&Sha256Digest::of(b"policy").to_string())
    );
    let fake = |s: &str| Sha256Digest::of(s.as_bytes()).to_string();
    for (k, chunk) in hashes.chunks(200).enumerate() {
        let mut t = Terms::for_assets(&[]);
        t.assets = chunk.to_vec();
        t.uses = vec!["ai_training"];
        let token = c.consent_token(&t);
        let id = token["id"].as_str().unwrap().to_string();
        let canonical = fairtrain_core::jcs::canonicalize(&token).unwrap();
        let _ = writeln!(
            sql,
            "INSERT INTO consents (id, creator, token, consent_hash, policy_version, jurisdiction, valid_from, valid_until, granted_at, log_entry_hash) VALUES ({}, {}, {}, {}, 'v2025.11', 'US', {}, {}, {}, {});",
            q(&id), q(&did), q(&canonical), q(&jcs_hash(&token).unwrap().to_string()),
            q(&t.valid_from.format_rfc3339()), q(&t.valid_until.format_rfc3339()), q(&at), q(&fake(&format!("log {k}")))
        );
        // D1 refuses statements over 100 KB: rows go in groups of 50.
        let blobs: Vec<String> = chunk
            .iter()
            .map(|h| {
                format!(
                    "({}, {}, 100, 'text/plain', {})",
                    q(&h.to_string()),
                    q(&format!("blobs/sha256/{}/seed", h.to_hex())),
                    q(&at)
                )
            })
            .collect();
        for group in blobs.chunks(50) {
            let _ = writeln!(
                sql,
                "INSERT INTO blobs (hash, object_key, size, media_type, stored_at) VALUES {};",
                group.join(",")
            );
        }
        let rows: Vec<String> = chunk
            .iter()
            .enumerate()
            .map(|(i, h)| {
                format!(
                    "({}, {}, {}, {}, '{{}}', {}, 'public_posts', 'CC-BY-4.0', 'text/plain', 100, 'TRAINING_PIPELINE', 'VALID_CONSENT', 'v2025.11', {}, {}, '{{}}', {})",
                    q(&format!("urn:uuid:00000000-0000-4000-8000-{:012x}", k * 200 + i)), q(&h.to_string()), q(&did), q(&id),
                    q(&fake(&format!("env {k} {i}"))), q(&at), q(&at), q(&fake(&format!("entry {k} {i}")))
                )
            })
            .collect();
        for group in rows.chunks(50) {
            let _ = writeln!(
                sql,
                "INSERT INTO contributions (receipt_id, asset_hash, contributor, consent_id, envelope, envelope_hash, scope, license, media_type, size, route, route_reason, policy_version, routed_at, ingested_at, receipt, log_entry_hash) VALUES {};",
                group.join(",")
            );
        }
    }
    (sql, hashes)
}
