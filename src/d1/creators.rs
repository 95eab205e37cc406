//! `creators`, `creator_profiles` and `creator_challenges`.

use fairtrain_app::creators::store::{CreatorStore, StoredCreator, StoredProfile};
use fairtrain_app::Result;
use fairtrain_core::time::Timestamp;
use serde::Deserialize;

use super::{changes, opt, time};
use crate::runtime::Runtime;

/// A creator joined with their profile (absent: all profile columns NULL).
#[derive(Deserialize)]
struct Row {
    did: String,
    registered_at: String,
    display_name: Option<String>,
    email: Option<String>,
    payout: Option<String>,
}

#[derive(Deserialize)]
struct Expiry {
    expires_at: i64,
}

impl CreatorStore for Runtime {
    async fn is_registered(&self, did: &str) -> Result<bool> {
        let row: Option<serde_json::Value> = self
            .db()?
            .prepare("SELECT did FROM creators WHERE did = ?1")
            .bind(&[did.into()])?
            .first(None)
            .await?;
        Ok(row.is_some())
    }

    async fn insert_challenge(
        &self,
        challenge: &str,
        did: &str,
        expires_at: Timestamp,
    ) -> Result<()> {
        self.db()?
            .prepare(
                "INSERT INTO creator_challenges (challenge, did, expires_at) VALUES (?1, ?2, ?3)",
            )
            .bind(&[
                challenge.into(),
                did.into(),
                (expires_at.unix_seconds() as f64).into(),
            ])?
            .run()
            .await?;
        Ok(())
    }

    async fn take_challenge(&self, challenge: &str, did: &str) -> Result<Option<Timestamp>> {
        let taken: Option<Expiry> = self
            .db()?
            .prepare(
                "DELETE FROM creator_challenges WHERE challenge = ?1 AND did = ?2 \
                 RETURNING expires_at",
            )
            .bind(&[challenge.into(), did.into()])?
            .first(None)
            .await?;
        Ok(taken
            .map(|t| Timestamp::from_unix_seconds(t.expires_at))
            .transpose()?)
    }

    async fn insert_creator(&self, c: &StoredCreator) -> Result<bool> {
        let db = self.db()?;
        let registered_at = c.registered_at.format_rfc3339();
        let p = &c.profile;
        let statements = vec![
            db.prepare(
                "INSERT INTO creators (did, registered_at) VALUES (?1, ?2) \
                 ON CONFLICT (did) DO NOTHING",
            )
            .bind(&[c.did.as_str().into(), registered_at.as_str().into()])?,
            db.prepare(
                "INSERT INTO creator_profiles (did, display_name, email, payout, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (did) DO NOTHING",
            )
            .bind(&[
                c.did.as_str().into(),
                opt(p.display_name.as_deref()),
                opt(p.email.as_deref()),
                opt(p.payout.as_deref()),
                registered_at.as_str().into(),
            ])?,
        ];
        // One batch: the creator and the profile land together or not at all.
        let results = db.batch(statements).await?;
        match results.first() {
            Some(inserted) => Ok(changes(inserted)? == 1),
            None => Ok(false),
        }
    }

    async fn creator(&self, did: &str) -> Result<Option<StoredCreator>> {
        let row: Option<Row> = self
            .db()?
            .prepare(
                "SELECT c.did, c.registered_at, p.display_name, p.email, p.payout FROM creators c \
                 LEFT JOIN creator_profiles p ON p.did = c.did WHERE c.did = ?1",
            )
            .bind(&[did.into()])?
            .first(None)
            .await?;
        row.map(|r| {
            Ok(StoredCreator {
                registered_at: time(&r.registered_at)?,
                did: r.did,
                profile: StoredProfile {
                    display_name: r.display_name,
                    email: r.email,
                    payout: r.payout,
                },
            })
        })
        .transpose()
    }
}
