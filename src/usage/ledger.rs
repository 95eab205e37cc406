//! Reading the ledger: lines as the settlement crate's [`LedgerLine`]s, and
//! balances derived from them (never stored, so never out of step).

use std::collections::BTreeMap;

use fairtrain_core::money::Atto;
use fairtrain_core::time::Timestamp;
use fairtrain_settlement::{Carried, CarriedBalances, LedgerLine, LineKind};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::http::context::Cx;
use crate::http::error::{ApiError, ApiResult};

const PAGE: usize = 5000;

pub const LINE_COLUMNS: &str =
    "seq, event_id, event_hash, leaf_index, kind, manifest_id, creator, model_id, \
     training_run_id, units, currency, minor_units, amount, priced_at";

#[derive(Deserialize)]
pub struct LineRow {
    pub seq: i64,
    event_id: String,
    event_hash: String,
    leaf_index: i64,
    kind: String,
    manifest_id: String,
    creator: String,
    model_id: String,
    training_run_id: String,
    units: i64,
    currency: String,
    minor_units: i64,
    amount: String,
    priced_at: String,
}

impl LineRow {
    pub fn event_id(&self) -> &str {
        &self.event_id
    }

    pub fn leaf(&self) -> i64 {
        self.leaf_index
    }

    pub fn line(&self) -> ApiResult<LedgerLine> {
        let kind = match self.kind.as_str() {
            "usage" => LineKind::Usage,
            "subscription" => LineKind::Subscription,
            _ => LineKind::RevenueShare,
        };
        Ok(LedgerLine {
            event_id: self.event_id.clone(),
            event_hash: self.event_hash.parse().map_err(ApiError::internal)?,
            manifest_id: self.manifest_id.clone(),
            leaf_index: self.leaf_index as u64,
            creator: self.creator.clone(),
            model_id: self.model_id.clone(),
            training_run_id: self.training_run_id.clone(),
            kind,
            units: self.units as u64,
            currency: self.currency.clone(),
            minor_units: self.minor_units as u8,
            amount: self.amount.parse().map_err(ApiError::internal)?,
            priced_at: Timestamp::parse_rfc3339(&self.priced_at).map_err(ApiError::internal)?,
        })
    }
}

/// Lines matching `filter` (an SQL condition on `usage_ledger`), in ledger order.
pub async fn lines_where(
    cx: &Cx,
    filter: &str,
    binds: &[wasm_bindgen::JsValue],
) -> ApiResult<Vec<LineRow>> {
    let mut out: Vec<LineRow> = Vec::new();
    for_each_page(cx, filter, binds, |rows| {
        out.extend(rows);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// The same lines as [`LedgerLine`]s, converted page by page so only one
/// form is held in memory at a time.
pub async fn ledger_lines(
    cx: &Cx,
    filter: &str,
    binds: &[wasm_bindgen::JsValue],
) -> ApiResult<Vec<LedgerLine>> {
    let mut out: Vec<LedgerLine> = Vec::new();
    for_each_page(cx, filter, binds, |rows| {
        for r in rows {
            out.push(r.line()?);
        }
        Ok(())
    })
    .await?;
    Ok(out)
}

/// Pages of lines matching `filter`, in ledger order.
pub async fn for_each_page(
    cx: &Cx,
    filter: &str,
    binds: &[wasm_bindgen::JsValue],
    mut each: impl FnMut(Vec<LineRow>) -> ApiResult<()>,
) -> ApiResult<()> {
    // Paged by seq: a single D1 result stays small however long the ledger.
    let mut after = -1i64;
    loop {
        let mut b = binds.to_vec();
        b.push((after as f64).into());
        let n = b.len();
        let rows: Vec<LineRow> = cx
            .db()?
            .prepare(format!(
                "SELECT {LINE_COLUMNS} FROM usage_ledger WHERE ({filter}) AND seq > ?{n} ORDER BY seq LIMIT {PAGE}"
            ))
            .bind(&b)?
            .all()
            .await?
            .results()?;
        let done = rows.len() < PAGE;
        if let Some(last) = rows.last() {
            after = last.seq;
        }
        each(rows)?;
        if done {
            return Ok(());
        }
    }
}

/// Totals per currency over the whole ledger, page by page.
pub async fn ledger_totals(cx: &Cx) -> ApiResult<BTreeMap<String, (i64, Atto, u64)>> {
    let mut t: BTreeMap<String, (i64, Atto, u64)> = BTreeMap::new();
    for_each_page(cx, "1 = 1", &[], |rows| {
        for (c, (mu, a, n)) in totals(&rows)? {
            let e = t.entry(c).or_insert((mu, Atto::ZERO, 0));
            e.1 = e.1.checked_add(a).map_err(ApiError::internal)?;
            e.2 += n;
        }
        Ok(())
    })
    .await?;
    Ok(t)
}

/// Totals per currency: (minor units, exact amount, line count).
pub fn totals(lines: &[LineRow]) -> ApiResult<BTreeMap<String, (i64, Atto, u64)>> {
    let mut t: BTreeMap<String, (i64, Atto, u64)> = BTreeMap::new();
    for l in lines {
        let a: Atto = l.amount.parse().map_err(ApiError::internal)?;
        let e = t
            .entry(l.currency.clone())
            .or_insert((l.minor_units, Atto::ZERO, 0));
        e.1 = e.1.checked_add(a).map_err(ApiError::internal)?;
        e.2 += 1;
    }
    Ok(t)
}

pub fn totals_json(t: &BTreeMap<String, (i64, Atto, u64)>) -> Value {
    json!(t
        .iter()
        .map(|(c, (mu, a, n))| {
            let (minor, frac) = a.split_minor();
            json!({ "currency": c, "minor_units": mu, "amount": a.to_string(),
                    "whole_minor": minor.to_string(), "fraction": frac.to_string(), "lines": n })
        })
        .collect::<Vec<_>>())
}

/// What a creator has accrued and not yet been settled, plus what the last
/// settlement carried forward.
pub async fn balance(cx: &Cx, creator: &str) -> ApiResult<Value> {
    let open = lines_where(
        cx,
        "creator = ?1 AND settlement_id IS NULL",
        &[creator.into()],
    )
    .await?;
    let carries = carried(cx, Some(creator)).await?;
    let t = totals(&open)?;
    let mut currencies: BTreeMap<String, (i64, Atto, Atto, u64)> = BTreeMap::new();
    for (c, (mu, a, n)) in &t {
        currencies.insert(c.clone(), (*mu, *a, Atto::ZERO, *n));
    }
    for ((_, currency), c) in carries {
        let e = currencies.entry(currency).or_insert((
            i64::from(c.minor_units),
            Atto::ZERO,
            Atto::ZERO,
            0,
        ));
        e.2 = c.amount;
    }
    let balances: Vec<Value> = currencies
        .iter()
        .map(|(c, (mu, accrued, carried, n))| {
            let total = accrued.checked_add(*carried).unwrap_or(*accrued);
            let (minor, frac) = total.split_minor();
            json!({ "currency": c, "minor_units": mu, "accrued": accrued.to_string(),
                    "carried_in": carried.to_string(), "total": total.to_string(),
                    "whole_minor": minor.to_string(), "fraction": frac.to_string(), "open_lines": n })
        })
        .collect();
    Ok(json!({ "creator": creator, "balances": balances }))
}

/// What the latest settlement line of each (creator, currency) carried
/// forward: the balance the next period starts from. `creator` narrows it
/// to one creator.
pub async fn carried(cx: &Cx, creator: Option<&str>) -> ApiResult<CarriedBalances> {
    #[derive(Deserialize)]
    struct Row {
        creator: String,
        currency: String,
        minor_units: i64,
        carried_out: String,
    }
    let rows: Vec<Row> = cx
        .db()?
        .prepare(
            "SELECT l.creator, l.currency, l.minor_units, l.carried_out FROM settlement_lines l \
             JOIN settlements s ON s.id = l.settlement_id WHERE (?1 IS NULL OR l.creator = ?1) \
             AND s.period_end = (SELECT MAX(s2.period_end) FROM settlements s2 JOIN settlement_lines l2 \
                  ON l2.settlement_id = s2.id WHERE l2.creator = l.creator AND l2.currency = l.currency)",
        )
        .bind(&[creator.map(Into::into).unwrap_or(wasm_bindgen::JsValue::NULL)])?
        .all()
        .await?
        .results()?;
    rows.into_iter()
        .map(|r| {
            Ok((
                (r.creator, r.currency),
                Carried {
                    minor_units: r.minor_units as u8,
                    amount: r.carried_out.parse::<Atto>().map_err(ApiError::internal)?,
                },
            ))
        })
        .collect()
}
