//! Reports and CSV exports for HR offices, providers and the cooperative.
//!
//! Balances come from the ledger, which is the truth about money: wallets, allowances and
//! holds are named after their enrolment (`wallet/{plan}.{username}`), so one listing by
//! prefix reads a whole plan's wallets, a thousand at a time. What was bought and claimed
//! comes from the purchase and reimbursement documents, read page by page.
//!
//! Exports are CSV sheets for people (`trama_sdk::csv::Sheet`): with a byte-order mark, so
//! that accents survive; in Italian with `;` between fields, decimal commas (`1234,50`),
//! Italian headers and statuses, so that an Italian spreadsheet opens them in columns and
//! reads the amounts as numbers; in English with `,`, decimal points and the column names and
//! status keys the exports always had. Cells that would run as formulas are kept text.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde::de::DeserializeOwned;
use trama_sdk::clock::DateTime;
use trama_sdk::csv::Sheet;
use trama_sdk::i18n::Lang;
use trama_sdk::ledger;
use trama_sdk::money::format_cents;
use trama_sdk::store::{Cmp, Collection, Doc, PAGE};
use trama_sdk::{Result, t};

use crate::accounts;
use crate::category;
use crate::enrol::{ENROLMENTS, Enrolment, Status as EnrolmentStatus};
use crate::plan::Plan;
use crate::purchase::{PURCHASES, Purchase};
use crate::reimbursement::{REIMBURSEMENTS, Reimbursement, Status};

/// Every document of `collection` whose indexed `plan` is `plan`, in the order of `field`.
fn all_of_plan<T: Serialize + DeserializeOwned>(
    collection: &Collection<T>,
    plan: &str,
    field: &str,
) -> Result<Vec<Doc<T>>> {
    collection
        .query()
        .filter("plan", Cmp::Eq, plan)
        .order_by(field)
        .fetch_all()
}

/// Every purchase of `plan`, oldest first.
fn purchases_of(plan: &str) -> Result<Vec<Doc<Purchase>>> {
    all_of_plan(&PURCHASES, plan, "at")
}

/// Every reimbursement request of `plan`, oldest first.
fn reimbursements_of(plan: &str) -> Result<Vec<Doc<Reimbursement>>> {
    all_of_plan(&REIMBURSEMENTS, plan, "submitted_at")
}

/// Every enrolment of `plan`, by username.
fn enrolments_of(plan: &str) -> Result<Vec<Doc<Enrolment>>> {
    all_of_plan(&ENROLMENTS, plan, "username")
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
    /// Paid for bookings in the services catalogue, through the welfare wallet.
    pub booked: Money,
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
    let booked = balances(&format!("{}/{}.", accounts::MEMO_BOOKED, plan.id))?;
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
        booked: money(booked.values().sum(), lang),
        reimbursed: money(reimbursed, lang),
        reimbursements_pending: money(pending, lang),
        reimbursements_pending_count: pending_count,
        reimbursements_rejected_count: rejected_count,
        returned: money(
            plan.data.expiry.as_ref().map_or(0, |e| e.returned_cents)
                + accounts::balance(&accounts::returned_late(&plan.id))?,
            lang,
        ),
        by_category: by_category
            .into_iter()
            .map(|(code, (bought, back))| CategoryLine {
                label: category::label(&code),
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
    /// Paid for bookings in the services catalogue, through the welfare wallet.
    pub booked: Money,
    pub reimbursed: Money,
    pub pending: Money,
    pub balance: Money,
}

/// Every employee of `plan` with what they spent, by username.
pub fn employee_lines(plan: &Doc<Plan>, lang: Lang) -> Result<Vec<EmployeeLine>> {
    let enrolments = enrolments_of(&plan.id)?;
    let prefix = format!("wallet/{}.", plan.id);
    let wallets = balances(&prefix)?;
    let booked = balances(&format!("{}/{}.", accounts::MEMO_BOOKED, plan.id))?;
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
                booked: money(booked.get(&key(&doc.id)).copied().unwrap_or(0), lang),
                reimbursed: money(reimbursed.get(&doc.id).copied().unwrap_or(0), lang),
                pending: money(pending.get(&doc.id).copied().unwrap_or(0), lang),
                balance: money(wallets.get(&key(&doc.id)).copied().unwrap_or(0), lang),
            }
        })
        .collect())
}

/// The columns of `employees.csv`, as catalogue keys.
const EMPLOYEE_COLUMNS: [&str; 13] = [
    "corporate_plans.csv.username",
    "corporate_plans.csv.full_name",
    "corporate_plans.csv.employee_code",
    "corporate_plans.csv.level",
    "corporate_plans.csv.dependants",
    "corporate_plans.csv.status",
    "corporate_plans.csv.activation_code",
    "corporate_plans.csv.credit_eur",
    "corporate_plans.csv.purchases_eur",
    "corporate_plans.csv.booked_eur",
    "corporate_plans.csv.reimbursed_eur",
    "corporate_plans.csv.pending_eur",
    "corporate_plans.csv.balance_eur",
];

/// `employees.csv`: one line per employee, with the activation codes still to hand out.
pub fn employees_csv(plan: &Doc<Plan>, lang: Lang) -> Result<Sheet> {
    let mut sheet = Sheet::new(lang);
    sheet.header(&EMPLOYEE_COLUMNS);
    for line in employee_lines(plan, lang)? {
        let row = employee_row(&sheet, line);
        sheet.row(&row);
    }
    Ok(sheet)
}

/// One employee's row: statuses as the catalogues word them for a sheet (Italian words, the
/// API's keys in English).
fn employee_row(sheet: &Sheet, line: EmployeeLine) -> [String; 13] {
    let status = match line.status {
        EnrolmentStatus::Pending => t!("corporate_plans.csv_cell.enrolment_pending"),
        EnrolmentStatus::Active => t!("corporate_plans.csv_cell.enrolment_active"),
    };
    [
        line.username,
        line.full_name,
        line.employee_code.unwrap_or_default(),
        line.level.unwrap_or_default(),
        line.dependants.to_string(),
        status,
        line.activation_code.unwrap_or_default(),
        sheet.cents(line.credit.cents),
        sheet.cents(line.purchases.cents),
        sheet.cents(line.booked.cents),
        sheet.cents(line.reimbursed.cents),
        sheet.cents(line.pending.cents),
        sheet.cents(line.balance.cents),
    ]
}

/// `movements.csv`: every purchase and reimbursement request of a plan, oldest first.
pub fn movements_csv(plan: &Doc<Plan>, lang: Lang) -> Result<Sheet> {
    let mut sheet = Sheet::new(lang);
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
                t!("corporate_plans.csv_cell.purchase"),
                usernames.get(&d.enrolment).cloned().unwrap_or_default(),
                d.employee_name,
                d.category.clone(),
                category::label(&d.category),
                d.provider_name,
                d.service_title,
                String::new(),
                sheet.cents(d.amount_cents),
                t!("corporate_plans.csv_cell.done"),
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
                t!("corporate_plans.csv_cell.reimbursement"),
                usernames.get(&d.enrolment).cloned().unwrap_or_default(),
                d.employee_name,
                d.category.clone(),
                category::label(&d.category),
                String::new(),
                d.description,
                format!("{} ({})", d.receipt_reference, d.expense_date),
                sheet.cents(d.amount_cents),
                match d.status {
                    Status::Pending => t!("corporate_plans.csv_cell.request_pending"),
                    Status::Approved => t!("corporate_plans.csv_cell.request_approved"),
                    Status::Rejected => t!("corporate_plans.csv_cell.request_rejected"),
                },
                r.id,
            ],
        ));
    }
    rows.sort_by_key(|(at, _)| *at);
    sheet.header(&[
        "corporate_plans.csv.at_utc",
        "corporate_plans.csv.kind",
        "corporate_plans.csv.username",
        "corporate_plans.csv.employee",
        "corporate_plans.csv.category",
        "corporate_plans.csv.category_label",
        "corporate_plans.csv.provider",
        "corporate_plans.csv.description",
        "corporate_plans.csv.receipt",
        "corporate_plans.csv.amount_eur",
        "corporate_plans.csv.status",
        "corporate_plans.csv.id",
    ]);
    for (_, row) in rows {
        sheet.row(&row);
    }
    Ok(sheet)
}

/// Every purchase of provider `id`, oldest first.
pub fn provider_sales(id: &str) -> Result<Vec<Doc<Purchase>>> {
    PURCHASES
        .query()
        .filter("provider", Cmp::Eq, id)
        .order_by("at")
        .fetch_all()
}

/// `sales.csv` of a provider: what employees bought from it.
pub fn provider_sales_csv(id: &str, lang: Lang) -> Result<Sheet> {
    let mut sheet = Sheet::new(lang);
    sheet.header(&[
        "corporate_plans.csv.at_utc",
        "corporate_plans.csv.purchase_id",
        "corporate_plans.csv.employee",
        "corporate_plans.csv.service",
        "corporate_plans.csv.category_2",
        "corporate_plans.csv.amount_eur",
    ]);
    for p in provider_sales(id)? {
        let d = p.data;
        let row = [
            DateTime::from_unix_ms(d.at).to_string(),
            p.id,
            d.employee_name,
            d.service_title,
            category::label(&d.category),
            sheet.cents(d.amount_cents),
        ];
        sheet.row(&row);
    }
    Ok(sheet)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn anna(lang: Lang) -> EmployeeLine {
        EmployeeLine {
            id: "p.anna".into(),
            username: "anna".into(),
            full_name: "Anna Rossi, sì".into(),
            employee_code: Some("M001".into()),
            level: Some("Q1".into()),
            dependants: 1,
            status: EnrolmentStatus::Active,
            activation_code: None,
            credit: money(110_000, lang),
            purchases: money(23_050, lang),
            booked: money(4_000, lang),
            reimbursed: money(30_000, lang),
            pending: money(0, lang),
            balance: money(56_950, lang),
        }
    }

    /// The sheet of one employee for a reader of `locale`.
    fn sheet_of(locale: &str) -> String {
        trama_sdk::i18n::set_locale(locale);
        let lang = Lang::from_locale(locale);
        let mut sheet = Sheet::new(lang);
        sheet.header(&EMPLOYEE_COLUMNS);
        let row = employee_row(&sheet, anna(lang));
        sheet.row(&row);
        trama_sdk::i18n::set_locale("it");
        sheet.finish()
    }

    #[test]
    fn an_italian_export_opens_in_columns_with_decimal_commas() {
        let text = sheet_of("it");
        assert!(text.starts_with("\u{feff}Nome utente;Nome e cognome;Matricola;"));
        assert!(text.ends_with(
            "\r\nanna;Anna Rossi, sì;M001;Q1;1;Attiva;;1100,00;230,50;40,00;300,00;0,00;569,50\r\n"
        ));
    }

    #[test]
    fn an_english_export_keeps_the_api_keys_and_decimal_points() {
        let text = sheet_of("en");
        assert!(text.starts_with("\u{feff}username,full_name,employee_code,"));
        assert!(text.ends_with(
            "\r\nanna,\"Anna Rossi, sì\",M001,Q1,1,active,,1100.00,230.50,40.00,300.00,0.00,569.50\r\n"
        ));
    }
}
