//! Reading the ledger: lines page by page (a ledger of any length is read
//! without holding it), exact totals, and balances derived from the lines
//! (never stored, so never out of step).

use std::collections::BTreeMap;

use fairtrain_core::money::Atto;
use fairtrain_core::principal::{Principal, Role};
use fairtrain_settlement::LedgerLine;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::platform::Platform;
use crate::usage::store::{Lines, StoredLine};

/// Lines per read.
pub const PAGE: usize = 5000;

/// Calls `each` with the `lines` page by page, in ledger order.
pub async fn for_each_page(
    p: &impl Platform,
    lines: Lines<'_>,
    mut each: impl FnMut(Vec<StoredLine>) -> Result<()>,
) -> Result<()> {
    let mut after = -1i64;
    loop {
        let page = p.ledger_page(lines, after, PAGE).await?;
        let done = page.len() < PAGE;
        if let Some(last) = page.last() {
            after = last.seq;
        }
        each(page)?;
        if done {
            return Ok(());
        }
    }
}

/// The `lines`, in ledger order.
pub async fn lines(p: &impl Platform, lines: Lines<'_>) -> Result<Vec<LedgerLine>> {
    let mut out = Vec::new();
    for_each_page(p, lines, |page| {
        out.extend(page.into_iter().map(|l| l.line));
        Ok(())
    })
    .await?;
    Ok(out)
}

/// One currency's exact total.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    pub minor_units: u8,
    pub amount: Atto,
    pub lines: u64,
}

/// Totals by currency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals(pub BTreeMap<String, Total>);

impl Totals {
    pub fn add(&mut self, line: &LedgerLine) -> Result<()> {
        let t = self.0.entry(line.currency.clone()).or_insert(Total {
            minor_units: line.minor_units,
            amount: Atto::ZERO,
            lines: 0,
        });
        t.amount = t.amount.checked_add(line.amount)?;
        t.lines += 1;
        Ok(())
    }

    /// As the API shows them: the exact amount, and its whole minor units
    /// and fraction.
    pub fn view(&self) -> Vec<TotalView> {
        self.0
            .iter()
            .map(|(currency, t)| {
                let (minor, fraction) = t.amount.split_minor();
                TotalView {
                    currency: currency.clone(),
                    minor_units: t.minor_units,
                    amount: t.amount.to_string(),
                    whole_minor: minor.to_string(),
                    fraction: fraction.to_string(),
                    lines: t.lines,
                }
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotalView {
    pub currency: String,
    pub minor_units: u8,
    pub amount: String,
    pub whole_minor: String,
    pub fraction: String,
    pub lines: u64,
}

/// Totals per currency of `lines`, page by page.
pub async fn totals(p: &impl Platform, lines: Lines<'_>) -> Result<Totals> {
    let mut t = Totals::default();
    for_each_page(p, lines, |page| {
        page.iter().try_for_each(|l| t.add(&l.line))
    })
    .await?;
    Ok(t)
}

/// `GET /v1/ledger/summary`: counts, and exact totals when asked for (they
/// read every line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub events: u64,
    pub conflicts: u64,
    pub reports: u64,
    pub lines: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub totals: Option<Vec<TotalView>>,
}

pub async fn summary(p: &impl Platform, with_totals: bool) -> Result<Summary> {
    let c = p.usage_counts().await?;
    let totals = if with_totals {
        Some(totals(p, Lines::All).await?.view())
    } else {
        None
    };
    Ok(Summary {
        events: c.events,
        conflicts: c.conflicts,
        reports: c.reports,
        lines: c.lines,
        totals,
    })
}

/// Operators and auditors read any creator's ledger; a creator reads their own.
pub fn may_read_creator(reader: &Principal, creator: &str) -> Result<()> {
    if reader.role == Role::Creator && reader.id != creator {
        return Err(Error::forbidden("a creator may read only their own ledger"));
    }
    Ok(())
}

/// A creator's balance: what they accrued that no settlement covers yet,
/// plus what their last settlement carried forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Balance {
    pub creator: String,
    pub balances: Vec<CurrencyBalance>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyBalance {
    pub currency: String,
    pub minor_units: u8,
    pub accrued: String,
    pub carried_in: String,
    pub total: String,
    pub whole_minor: String,
    pub fraction: String,
    pub open_lines: u64,
}

pub async fn balance(p: &impl Platform, reader: &Principal, creator: &str) -> Result<Balance> {
    may_read_creator(reader, creator)?;
    let open = totals(p, Lines::OpenOf(creator)).await?;
    let carried = p.carried_balances(Some(creator)).await?;
    // (minor units, accrued, carried in, open lines) per currency.
    let mut currencies: BTreeMap<String, (u8, Atto, Atto, u64)> = BTreeMap::new();
    for (c, t) in &open.0 {
        currencies.insert(c.clone(), (t.minor_units, t.amount, Atto::ZERO, t.lines));
    }
    for ((_, currency), c) in carried {
        let e = currencies
            .entry(currency)
            .or_insert((c.minor_units, Atto::ZERO, Atto::ZERO, 0));
        e.2 = c.amount;
    }
    let balances = currencies
        .into_iter()
        .map(|(currency, (minor_units, accrued, carried, n))| {
            let total = accrued.checked_add(carried).unwrap_or(accrued);
            let (minor, fraction) = total.split_minor();
            CurrencyBalance {
                currency,
                minor_units,
                accrued: accrued.to_string(),
                carried_in: carried.to_string(),
                total: total.to_string(),
                whole_minor: minor.to_string(),
                fraction: fraction.to_string(),
                open_lines: n,
            }
        })
        .collect();
    Ok(Balance {
        creator: creator.to_string(),
        balances,
    })
}
