//! The SEPA credit transfer initiation a treasury imports: ISO 20022 `pain.001.001.09`.
//!
//! Why version 09 rather than 03: the EPC's SEPA Credit Transfer implementation guidelines
//! moved customer-to-bank files to the 2019 ISO messages (`pain.001.001.09`) in November 2023,
//! and Italian banks and treasury services accept it; `.03` is the legacy version kept for
//! the transition. The differences that matter here are small: the requested execution date is
//! a choice (`<ReqdExctnDt><Dt>…</Dt></ReqdExctnDt>`) and the bank is named with `BICFI` (or
//! `Othr/Id = NOTPROVIDED` when no BIC is given).
//!
//! The document is written with `quick-xml`, whose writer escapes every text and attribute, so
//! a payee named `Rossi & Figli <srl>` is written as data, never as markup. Amounts are decimal
//! euros written from integer cents (`1234` → `12.34`), never through floating point. One
//! `PmtInf` groups the orders of one execution day.

use std::io::Cursor;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

/// The message's namespace.
pub const NAMESPACE: &str = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09";
/// Longest unstructured remittance (`Ustrd`).
const REMITTANCE_CHARS: usize = 140;

/// Who pays: the municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debtor {
    pub name: String,
    pub iban: String,
    /// The bank's BIC, when the instance gives it.
    pub bic: Option<String>,
}

/// One credit transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// The order's id (at most 35 characters).
    pub end_to_end_id: String,
    pub amount_cents: i64,
    pub name: String,
    pub iban: String,
    /// Unstructured remittance (cut to 140 characters).
    pub remittance: String,
}

/// The orders to pay on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentGroup {
    /// `YYYY-MM-DD`.
    pub execution_date: String,
    pub credits: Vec<Credit>,
}

/// A whole message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Unique per batch (at most 35 characters).
    pub id: String,
    /// ISO date and time with the offset, `2026-01-23T10:00:00+01:00`.
    pub created: String,
    pub debtor: Debtor,
    pub groups: Vec<PaymentGroup>,
}

/// `1234` → `12.34`: the decimal euros of a positive number of cents.
pub fn euros(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

/// `text` cut to `max` characters (names and remittances have limits in the scheme).
fn cut(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}

type Out = Writer<Cursor<Vec<u8>>>;

/// `<name>text</name>`, the text escaped.
fn leaf(w: &mut Out, name: &str, text: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(text))?;
    Ok(())
}

/// `<Id><IBAN>…</IBAN></Id>` inside `name`.
fn account(w: &mut Out, name: &str, iban: &str) -> std::io::Result<()> {
    w.create_element(name).write_inner_content(|w| {
        w.create_element("Id")
            .write_inner_content(|w| leaf(w, "IBAN", iban))?;
        Ok(())
    })?;
    Ok(())
}

/// `<Nm>…</Nm>` inside `name`.
fn party(w: &mut Out, name: &str, who: &str) -> std::io::Result<()> {
    w.create_element(name)
        .write_inner_content(|w| leaf(w, "Nm", &cut(who, super::NAME_CHARS)))?;
    Ok(())
}

fn totals<'a>(credits: impl Iterator<Item = &'a Credit>) -> (usize, i64) {
    credits.fold((0, 0), |(n, sum), c| (n + 1, sum + c.amount_cents))
}

/// The message as UTF-8 XML.
pub fn write(message: &Message) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let (count, sum) = totals(message.groups.iter().flat_map(|g| &g.credits));
    w.create_element("Document")
        .with_attribute(("xmlns", NAMESPACE))
        .write_inner_content(|w| {
            w.create_element("CstmrCdtTrfInitn")
                .write_inner_content(|w| {
                    w.create_element("GrpHdr").write_inner_content(|w| {
                        leaf(w, "MsgId", &message.id)?;
                        leaf(w, "CreDtTm", &message.created)?;
                        leaf(w, "NbOfTxs", &count.to_string())?;
                        leaf(w, "CtrlSum", &euros(sum))?;
                        party(w, "InitgPty", &message.debtor.name)
                    })?;
                    for (n, group) in message.groups.iter().enumerate() {
                        payment_info(w, message, n + 1, group)?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    Ok(w.into_inner().into_inner())
}

/// One `PmtInf`: the debtor, the day, and its transfers.
fn payment_info(
    w: &mut Out,
    message: &Message,
    n: usize,
    group: &PaymentGroup,
) -> std::io::Result<()> {
    let (count, sum) = totals(group.credits.iter());
    let debtor = &message.debtor;
    w.create_element("PmtInf").write_inner_content(|w| {
        leaf(w, "PmtInfId", &format!("{}-{n}", message.id))?;
        leaf(w, "PmtMtd", "TRF")?;
        leaf(w, "NbOfTxs", &count.to_string())?;
        leaf(w, "CtrlSum", &euros(sum))?;
        w.create_element("PmtTpInf").write_inner_content(|w| {
            w.create_element("SvcLvl")
                .write_inner_content(|w| leaf(w, "Cd", "SEPA"))?;
            Ok(())
        })?;
        w.create_element("ReqdExctnDt")
            .write_inner_content(|w| leaf(w, "Dt", &group.execution_date))?;
        party(w, "Dbtr", &debtor.name)?;
        account(w, "DbtrAcct", &debtor.iban)?;
        w.create_element("DbtrAgt").write_inner_content(|w| {
            w.create_element("FinInstnId")
                .write_inner_content(|w| match &debtor.bic {
                    Some(bic) => leaf(w, "BICFI", bic),
                    None => {
                        w.create_element("Othr")
                            .write_inner_content(|w| leaf(w, "Id", "NOTPROVIDED"))?;
                        Ok(())
                    }
                })?;
            Ok(())
        })?;
        leaf(w, "ChrgBr", "SLEV")?;
        for credit in &group.credits {
            credit_transfer(w, credit)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// One `CdtTrfTxInf`.
fn credit_transfer(w: &mut Out, credit: &Credit) -> std::io::Result<()> {
    w.create_element("CdtTrfTxInf").write_inner_content(|w| {
        w.create_element("PmtId")
            .write_inner_content(|w| leaf(w, "EndToEndId", &credit.end_to_end_id))?;
        w.create_element("Amt").write_inner_content(|w| {
            w.create_element("InstdAmt")
                .with_attribute(("Ccy", "EUR"))
                .write_text_content(BytesText::new(&euros(credit.amount_cents)))?;
            Ok(())
        })?;
        party(w, "Cdtr", &credit.name)?;
        account(w, "CdtrAcct", &credit.iban)?;
        w.create_element("RmtInf").write_inner_content(|w| {
            leaf(w, "Ustrd", &cut(&credit.remittance, REMITTANCE_CHARS))
        })?;
        Ok(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_from_cents_exactly() {
        assert_eq!(euros(1), "0.01");
        assert_eq!(euros(263_951), "2639.51");
        assert_eq!(euros(310_000), "3100.00");
    }

    #[test]
    fn names_are_escaped_and_cut_to_the_scheme_limits() {
        let message = Message {
            id: "B1".to_owned(),
            created: "2026-01-23T10:00:00+01:00".to_owned(),
            debtor: Debtor {
                name: "Comune di Prova".to_owned(),
                iban: "IT60X0542811101000000123456".to_owned(),
                bic: None,
            },
            groups: vec![PaymentGroup {
                execution_date: "2026-01-23".to_owned(),
                credits: vec![Credit {
                    end_to_end_id: "x-1".to_owned(),
                    amount_cents: 5,
                    name: format!("Rossi & Figli <srl> {}", "x".repeat(100)),
                    iban: "DE89370400440532013000".to_owned(),
                    remittance: "Affitto".to_owned(),
                }],
            }],
        };
        let xml = String::from_utf8(write(&message).expect("written")).expect("UTF-8");
        assert!(
            xml.contains("<Nm>Rossi &amp; Figli &lt;srl&gt; xxx"),
            "{xml}"
        );
        assert!(!xml.contains("<srl>"), "{xml}");
        // 70 characters: the 20 of the firm's name and 50 of the rest.
        assert!(
            xml.contains(&format!("&gt; {}</Nm>", "x".repeat(50))),
            "{xml}"
        );
        assert!(
            xml.contains("<InstdAmt Ccy=\"EUR\">0.05</InstdAmt>"),
            "{xml}"
        );
        assert!(xml.contains("<Id>NOTPROVIDED</Id>"), "no BIC: {xml}");
    }
}
