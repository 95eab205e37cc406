//! `licenses`.

use fairtrain_app::licenses::store::{LicenseStore, StoredLicense};
use fairtrain_app::Result;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;

use super::{changes, opt_time, opt_time_value, time};
use crate::runtime::Runtime;

const COLUMNS: &str = "id, buyer, manifest_id, granted_at, expires_at, revoked_at, source";

#[derive(Deserialize)]
struct Row {
    id: String,
    buyer: String,
    manifest_id: String,
    granted_at: String,
    expires_at: Option<String>,
    revoked_at: Option<String>,
    source: String,
}

impl Row {
    fn stored(self) -> Result<StoredLicense> {
        Ok(StoredLicense {
            granted_at: time(&self.granted_at)?,
            expires_at: opt_time(self.expires_at.as_deref())?,
            revoked_at: opt_time(self.revoked_at.as_deref())?,
            id: self.id,
            buyer: self.buyer,
            manifest_id: self.manifest_id,
            source: self.source,
        })
    }
}

impl LicenseStore for Runtime {
    async fn insert_license(&self, l: &StoredLicense) -> Result<()> {
        self.db()?
            .prepare(format!(
                "INSERT OR IGNORE INTO licenses ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
            ))
            .bind(&[
                l.id.as_str().into(),
                l.buyer.as_str().into(),
                l.manifest_id.as_str().into(),
                l.granted_at.format_rfc3339().into(),
                opt_time_value(l.expires_at),
                opt_time_value(l.revoked_at),
                l.source.as_str().into(),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn revoke_license(&self, id: &str, at: Timestamp) -> Result<bool> {
        let done = self
            .db()?
            .prepare("UPDATE licenses SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1")
            .bind(&[id.into(), at.format_rfc3339().into()])?
            .run()
            .await?;
        Ok(changes(&done)? > 0)
    }

    async fn licenses_of(&self, buyer: &str, manifest_id: &str) -> Result<Vec<StoredLicense>> {
        licenses_where(
            self,
            "buyer = ?1 AND manifest_id = ?2",
            &[buyer.into(), manifest_id.into()],
        )
        .await
    }

    // Reads for the ledger.
    async fn licenses_for_manifest(&self, manifest_id: &str) -> Result<Vec<StoredLicense>> {
        licenses_where(self, "manifest_id = ?1", &[manifest_id.into()]).await
    }
}

/// The licenses matching `condition`, in order of grant.
async fn licenses_where(
    rt: &Runtime,
    condition: &str,
    binds: &[wasm_bindgen::JsValue],
) -> Result<Vec<StoredLicense>> {
    let rows: Vec<Row> = rt
        .db()?
        .prepare(format!(
            "SELECT {COLUMNS} FROM licenses WHERE {condition} ORDER BY granted_at"
        ))
        .bind(binds)?
        .all()
        .await?
        .results()?;
    let mut all = rows
        .into_iter()
        .map(Row::stored)
        .collect::<Result<Vec<_>>>()?;
    all.sort_by_key(|l| l.granted_at);
    Ok(all)
}
