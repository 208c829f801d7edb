//! Reports and CSV exports for HR offices, providers and the cooperative.
//!
//! Balances come from the ledger, which is the truth about money: wallets, allowances and
//! holds are named after their enrolment (`wallet/{plan}.{username}`), so one listing by
//! prefix reads a whole plan's wallets, a thousand at a time. What was bought and claimed
//! comes from the purchase and reimbursement documents, read page by page.
//!
//! Exports are CSV (RFC 4180, through `trama_sdk::csv`, which keeps spreadsheet formulas out
//! of cells) with amounts as plain decimals with a dot (`1234.50`), so they read back the
//! same in any spreadsheet locale.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use trama_sdk::clock::DateTime;
use trama_sdk::i18n::Lang;
use trama_sdk::ledger;
use trama_sdk::money::{format_cents, plain};
use trama_sdk::store::{Cmp, Doc};
use trama_sdk::{Result, csv};

use crate::category;
use crate::enrol::{self, Enrolment, Status as EnrolmentStatus};
use crate::plan::Plan;
use crate::purchase::{PURCHASES, Purchase};
use crate::reimbursement::{REIMBURSEMENTS, Reimbursement, Status};

/// Documents read per store query (the kernel's maximum).
const PAGE: u32 = 1000;

/// Every document of `plan` in purchases.
fn purchases_of(plan: &str) -> Result<Vec<Doc<Purchase>>> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = PURCHASES
            .query()
            .filter("plan", Cmp::Eq, plan)
            .order_by("at")
            .limit(PAGE)
            .offset(offset)
            .fetch()?;
        let len = page.len();
        all.extend(page);
        if len < PAGE as usize {
            return Ok(all);
        }
        offset += PAGE;
    }
}

/// Every reimbursement request of `plan`.
fn reimbursements_of(plan: &str) -> Result<Vec<Doc<Reimbursement>>> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = REIMBURSEMENTS
            .query()
            .filter("plan", Cmp::Eq, plan)
            .order_by("submitted_at")
            .limit(PAGE)
            .offset(offset)
            .fetch()?;
        let len = page.len();
        all.extend(page);
        if len < PAGE as usize {
            return Ok(all);
        }
        offset += PAGE;
    }
}

/// Every enrolment of `plan`, by username.
fn enrolments_of(plan: &str) -> Result<Vec<Doc<Enrolment>>> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = enrol::of_plan(plan, PAGE, offset)?;
        let len = page.len();
        all.extend(page);
        if len < PAGE as usize {
            return Ok(all);
        }
        offset += PAGE;
    }
}

/// The balances of every account whose name starts with `prefix`, by the rest of the name.
pub fn balances(prefix: &str) -> Result<HashMap<String, i64>> {
    let mut all = HashMap::new();
    let mut offset = 0;
    loop {
        let page = ledger::list(prefix, PAGE, offset)?;
        let len = page.len();
        for account in page {
            if let Some(rest) = account.name.strip_prefix(prefix) {
                all.insert(rest.to_owned(), account.balance_cents);
            }
        }
        if len < PAGE as usize {
            return Ok(all);
        }
        offset += PAGE;
    }
}

/// `{cents, text}` in JSON.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Money {
    pub cents: i64,
    pub text: String,
}

fn money(cents: i64, lang: Lang) -> Money {
    Money {
        cents,
        text: format_cents(cents, lang),
    }
}

/// One category's spending.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryLine {
    pub category: String,
    pub label: String,
    pub purchases: Money,
    pub reimbursed: Money,
}

/// What HR sees of a plan: where every cent of the budget is.
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    pub employees_pending: u64,
    pub employees_active: u64,
    /// Drawn from the company's account.
    pub funded: Money,
    /// Still in the plan's budget, not given to anybody.
    pub budget_left: Money,
    /// Given to employees at enrolment.
    pub allocated: Money,
    /// In the wallets now.
    pub in_wallets: Money,
    pub purchases: Money,
    pub purchases_count: usize,
    pub reimbursed: Money,
    pub reimbursements_pending: Money,
    pub reimbursements_pending_count: usize,
    pub reimbursements_rejected_count: usize,
    /// Returned to the company when the plan expired.
    pub returned: Money,
    pub by_category: Vec<CategoryLine>,
}

pub fn plan_summary(plan: &Doc<Plan>, lang: Lang) -> Result<PlanSummary> {
    let enrolments = enrolments_of(&plan.id)?;
    let wallets = balances(&format!("wallet/{}.", plan.id))?;
    let purchases = purchases_of(&plan.id)?;
    let requests = reimbursements_of(&plan.id)?;
    let mut by_category: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for p in &purchases {
        by_category.entry(p.data.category.clone()).or_default().0 += p.data.amount_cents;
    }
    let mut reimbursed = 0;
    let mut pending = 0;
    let mut pending_count = 0;
    let mut rejected_count = 0;
    for r in &requests {
        match r.data.status {
            Status::Approved => {
                reimbursed += r.data.amount_cents;
                by_category.entry(r.data.category.clone()).or_default().1 += r.data.amount_cents;
            }
            Status::Pending => {
                pending += r.data.amount_cents;
                pending_count += 1;
            }
            Status::Rejected => rejected_count += 1,
        }
    }
    let budget_left = crate::accounts::balance(&crate::accounts::plan_budget(&plan.id))?;
    Ok(PlanSummary {
        employees_pending: enrolments
            .iter()
            .filter(|e| e.data.status == EnrolmentStatus::Pending)
            .count() as u64,
        employees_active: enrolments
            .iter()
            .filter(|e| e.data.status == EnrolmentStatus::Active)
            .count() as u64,
        funded: money(plan.data.funded_cents, lang),
        budget_left: money(budget_left, lang),
        allocated: money(enrolments.iter().map(|e| e.data.credit_cents).sum(), lang),
        in_wallets: money(wallets.values().sum(), lang),
        purchases: money(purchases.iter().map(|p| p.data.amount_cents).sum(), lang),
        purchases_count: purchases.len(),
        reimbursed: money(reimbursed, lang),
        reimbursements_pending: money(pending, lang),
        reimbursements_pending_count: pending_count,
        reimbursements_rejected_count: rejected_count,
        returned: money(
            plan.data.expiry.as_ref().map_or(0, |e| e.returned_cents),
            lang,
        ),
        by_category: by_category
            .into_iter()
            .map(|(code, (bought, back))| CategoryLine {
                label: category::label(&code, lang),
                category: code,
                purchases: money(bought, lang),
                reimbursed: money(back, lang),
            })
            .collect(),
    })
}

/// One employee's line of the plan's report.
#[derive(Debug, Clone, Serialize)]
pub struct EmployeeLine {
    pub id: String,
    pub username: String,
    pub full_name: String,
    pub employee_code: Option<String>,
    pub level: Option<String>,
    pub dependants: u32,
    pub status: EnrolmentStatus,
    pub activation_code: Option<String>,
    pub credit: Money,
    pub purchases: Money,
    pub reimbursed: Money,
    pub pending: Money,
    pub balance: Money,
}

/// Every employee of `plan` with what they spent, by username.
pub fn employee_lines(plan: &Doc<Plan>, lang: Lang) -> Result<Vec<EmployeeLine>> {
    let enrolments = enrolments_of(&plan.id)?;
    let prefix = format!("wallet/{}.", plan.id);
    let wallets = balances(&prefix)?;
    let mut bought: HashMap<String, i64> = HashMap::new();
    for p in purchases_of(&plan.id)? {
        *bought.entry(p.data.enrolment).or_default() += p.data.amount_cents;
    }
    let mut reimbursed: HashMap<String, i64> = HashMap::new();
    let mut pending: HashMap<String, i64> = HashMap::new();
    for r in reimbursements_of(&plan.id)? {
        match r.data.status {
            Status::Approved => {
                *reimbursed.entry(r.data.enrolment).or_default() += r.data.amount_cents
            }
            Status::Pending => *pending.entry(r.data.enrolment).or_default() += r.data.amount_cents,
            Status::Rejected => {}
        }
    }
    let key = |id: &str| {
        id.strip_prefix(&format!("{}.", plan.id))
            .unwrap_or(id)
            .to_owned()
    };
    Ok(enrolments
        .iter()
        .map(|doc| {
            let e = &doc.data;
            EmployeeLine {
                id: doc.id.clone(),
                username: e.username.clone(),
                full_name: e.full_name.clone(),
                employee_code: e.employee_code.clone(),
                level: e.level.clone(),
                dependants: e.dependants,
                status: e.status,
                activation_code: e.activation_code.as_deref().map(crate::fields::shown_code),
                credit: money(e.credit_cents, lang),
                purchases: money(bought.get(&doc.id).copied().unwrap_or(0), lang),
                reimbursed: money(reimbursed.get(&doc.id).copied().unwrap_or(0), lang),
                pending: money(pending.get(&doc.id).copied().unwrap_or(0), lang),
                balance: money(wallets.get(&key(&doc.id)).copied().unwrap_or(0), lang),
            }
        })
        .collect())
}

/// `employees.csv`: one line per employee, with the activation codes still to hand out.
pub fn employees_csv(plan: &Doc<Plan>, lang: Lang) -> Result<String> {
    let mut out = String::new();
    csv::record(
        &mut out,
        &[
            "username",
            "full_name",
            "employee_code",
            "level",
            "dependants",
            "status",
            "activation_code",
            "credit_eur",
            "purchases_eur",
            "reimbursed_eur",
            "pending_eur",
            "balance_eur",
        ],
    );
    for line in employee_lines(plan, lang)? {
        csv::record(
            &mut out,
            &[
                line.username,
                line.full_name,
                line.employee_code.unwrap_or_default(),
                line.level.unwrap_or_default(),
                line.dependants.to_string(),
                match line.status {
                    EnrolmentStatus::Pending => "pending".to_owned(),
                    EnrolmentStatus::Active => "active".to_owned(),
                },
                line.activation_code.unwrap_or_default(),
                plain(line.credit.cents),
                plain(line.purchases.cents),
                plain(line.reimbursed.cents),
                plain(line.pending.cents),
                plain(line.balance.cents),
            ],
        );
    }
    Ok(out)
}

/// `movements.csv`: every purchase and reimbursement request of a plan, oldest first.
pub fn movements_csv(plan: &Doc<Plan>, lang: Lang) -> Result<String> {
    let mut rows: Vec<(i64, Vec<String>)> = Vec::new();
    let usernames: HashMap<String, String> = enrolments_of(&plan.id)?
        .into_iter()
        .map(|doc| (doc.id, doc.data.username))
        .collect();
    for p in purchases_of(&plan.id)? {
        let d = p.data;
        rows.push((
            d.at,
            vec![
                DateTime::from_unix_ms(d.at).to_string(),
                "purchase".into(),
                usernames.get(&d.enrolment).cloned().unwrap_or_default(),
                d.employee_name,
                d.category.clone(),
                category::label(&d.category, lang),
                d.provider_name,
                d.service_title,
                String::new(),
                plain(d.amount_cents),
                "done".into(),
                p.id,
            ],
        ));
    }
    for r in reimbursements_of(&plan.id)? {
        let d = r.data;
        rows.push((
            d.submitted_at,
            vec![
                DateTime::from_unix_ms(d.submitted_at).to_string(),
                "reimbursement".into(),
                usernames.get(&d.enrolment).cloned().unwrap_or_default(),
                d.employee_name,
                d.category.clone(),
                category::label(&d.category, lang),
                String::new(),
                d.description,
                format!("{} ({})", d.receipt_reference, d.expense_date),
                plain(d.amount_cents),
                d.status.key().to_owned(),
                r.id,
            ],
        ));
    }
    rows.sort_by_key(|(at, _)| *at);
    let mut out = String::new();
    csv::record(
        &mut out,
        &[
            "at_utc",
            "kind",
            "username",
            "employee",
            "category",
            "category_label",
            "provider",
            "description",
            "receipt",
            "amount_eur",
            "status",
            "id",
        ],
    );
    for (_, row) in rows {
        csv::record(&mut out, &row);
    }
    Ok(out)
}

/// Every purchase of provider `id`, oldest first.
pub fn provider_sales(id: &str) -> Result<Vec<Doc<Purchase>>> {
    let mut all = Vec::new();
    let mut offset = 0;
    loop {
        let page = PURCHASES
            .query()
            .filter("provider", Cmp::Eq, id)
            .order_by("at")
            .limit(PAGE)
            .offset(offset)
            .fetch()?;
        let len = page.len();
        all.extend(page);
        if len < PAGE as usize {
            return Ok(all);
        }
        offset += PAGE;
    }
}

/// `sales.csv` of a provider: what employees bought from it.
pub fn provider_sales_csv(id: &str, lang: Lang) -> Result<String> {
    let mut out = String::new();
    csv::record(
        &mut out,
        &[
            "at_utc",
            "purchase_id",
            "employee",
            "service",
            "category",
            "amount_eur",
        ],
    );
    for p in provider_sales(id)? {
        let d = p.data;
        csv::record(
            &mut out,
            &[
                DateTime::from_unix_ms(d.at).to_string(),
                p.id,
                d.employee_name,
                d.service_title,
                category::label(&d.category, lang),
                plain(d.amount_cents),
            ],
        );
    }
    Ok(out)
}

/// What a provider sold and was paid, in total.
#[derive(Debug, Clone, Serialize)]
pub struct ProviderSummary {
    pub sales_count: usize,
    pub sold: Money,
    pub owed: Money,
    pub paid: Money,
}

pub fn provider_summary(id: &str, lang: Lang) -> Result<ProviderSummary> {
    let sales = provider_sales(id)?;
    let sold: i64 = sales.iter().map(|p| p.data.amount_cents).sum();
    let owed = crate::provider::owed(id)?;
    Ok(ProviderSummary {
        sales_count: sales.len(),
        sold: money(sold, lang),
        owed: money(owed, lang),
        // Every cent sold is either still owed or paid.
        paid: money(sold - owed, lang),
    })
}
