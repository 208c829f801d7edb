//! HR and employees work with plain HTML forms.

use serde_json::json;

use super::{ACME_VAT, API, GYM_VAT, PLUGIN};
use crate::support::{Server, TestInstance, add_user, login, sign_up, today_plus};

#[tokio::test(flavor = "multi_thread")]
async fn hr_and_employees_work_with_plain_html_forms() {
    let instance = TestInstance::new("corporate-forms", PLUGIN);
    add_user(&instance, "coop", "operator");
    add_user(&instance, "hr.office", "company_hr");
    let server = Server::start(&[instance.path()]);
    let operator = login(&server, "coop").await;
    let hr = login(&server, "hr.office").await;

    // The operator registers the company through the form and reads the HR code on its page.
    let response = operator
        .post_form(
            &server,
            &API.path("/companies"),
            &[("name", "Forno Rossi snc"), ("vat_number", "0123456789")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("una partita IVA ha 11 cifre"), "{page}");
    let response = operator
        .post_form(
            &server,
            &API.path("/companies"),
            &[("name", "Forno Rossi snc"), ("vat_number", ACME_VAT)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let location = crate::support::location(&response);
    let (status, page) = operator.page(&server, &location).await;
    assert_eq!(status, 200);
    let code = page
        .split("<code>")
        .nth(2)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the HR code is on the page")
        .to_owned();
    let company = location.rsplit('/').next().expect("id").to_owned();
    let (status, _) = API
        .post(
            &operator,
            &server,
            &format!("/api/companies/{company}/deposits"),
            json!({"amount": 5000, "reference": "TRN-9", "request_id": "deposit-form-0001"}),
        )
        .await;
    assert_eq!(status, 201);

    // HR links the account with the form, then creates a plan; mistakes are shown in place.
    let (status, page) = hr.page(&server, &API.path("/hr")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Codice HR"), "{page}");
    let response = hr
        .post_form(&server, &API.path("/hr/claim"), &[("code", &code)])
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = hr.page(&server, &API.path("/hr")).await;
    assert!(
        page.contains("Forno Rossi snc") && page.contains("5.000,00 €"),
        "{page}"
    );
    let response = hr
        .post_form(
            &server,
            &API.path("/plans"),
            &[
                ("title", "W"),
                ("flat_credit", "dieci"),
                ("request_id", "plan-form-0000001"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let page = response.text().await.expect("page");
    assert!(page.contains("aria-invalid=\"true\""), "{page}");
    assert!(page.contains("scegli almeno una categoria"), "{page}");
    let response = hr
        .post_form(
            &server,
            &API.path("/plans"),
            &[
                ("title", "Welfare <b>famiglie</b>"),
                ("budget", "1.000"),
                ("flat_credit", "250"),
                ("categories", "childcare"),
                ("categories", "health"),
                ("refund_share", "50"),
                ("request_id", "plan-form-0000002"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let plan_page = crate::support::location(&response);
    let (status, page) = hr.page(&server, &plan_page).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("<h1>Welfare &lt;b&gt;famiglie&lt;/b&gt;</h1>"),
        "titles are escaped: {page}"
    );
    assert!(!page.contains("<b>famiglie"), "{page}");
    let plan = plan_page.rsplit('/').next().expect("id").to_owned();

    // Cells pasted from a spreadsheet (tab-separated) through the textarea.
    let response = hr
        .post_form(
            &server,
            &format!("{plan_page}/enrolments/upload"),
            &[(
                "csv",
                "username\tnome\tfamiliari a carico\nelena\tElena Gialli\t0\nf\tFranco\tdue\n",
            )],
        )
        .await;
    assert_eq!(response.status().as_u16(), 200);
    let page = response.text().await.expect("page");
    assert!(
        page.contains("1 iscritti, 0 già iscritti, 1 righe non iscritte"),
        "{page}"
    );
    assert!(page.contains("<td>3</td>"), "the bad row's line: {page}");
    let elena_code = page
        .split("<td><code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("Elena's activation code")
        .to_owned();

    // Elena signs up, activates on the home page and asks for a reimbursement by form.
    let elena = sign_up(&server, "elena", "Elena Gialli").await;
    let (_, home) = elena.page(&server, &API.path("/")).await;
    assert!(home.contains("Iscrizioni da attivare"), "{home}");
    let enrolment = format!("{plan}.elena");
    let response = elena
        .post_form(
            &server,
            &API.path(&format!("/enrolments/{enrolment}/activate")),
            &[("code", "AAAAA-AAAAA")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("tentativi rimasti: 4")
    );
    let response = elena
        .post_form(
            &server,
            &API.path(&format!("/enrolments/{enrolment}/activate")),
            &[("code", &elena_code)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, page) = elena
        .page(&server, &API.path(&format!("/wallets/{enrolment}")))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("250,00 €") && page.contains("125,00 €"),
        "{page}"
    );
    let response = elena
        .post_form(
            &server,
            &API.path("/reimbursements"),
            &[
                ("enrolment", &enrolment),
                ("category", "childcare"),
                ("amount", "90,00"),
                ("expense_date", &today_plus(0)),
                ("receipt_reference", "Nido 3/25"),
                ("_step", "send"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let response = elena
        .post_form(
            &server,
            &API.path("/reimbursements"),
            &[
                ("enrolment", &enrolment),
                ("category", "childcare"),
                ("amount", "50"),
                ("expense_date", &today_plus(0)),
                ("receipt_reference", "Nido 4/25"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 409);
    assert!(
        response.text().await.expect("page").contains("35,00 €"),
        "only 35 € of the share is left"
    );

    // HR rejects it by form; the employee reads why.
    let (_, page) = hr.page(&server, &plan_page).await;
    assert!(page.contains("Nido 3/25"), "{page}");
    let request = format!("{enrolment}.NIDO325");
    // A rejection without a reason comes back open, the problem at its own field, not at the
    // approval's note beside it.
    let response = hr
        .post_form(
            &server,
            &API.path(&format!("/reimbursements/{request}/reject")),
            &[("reason", "")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    let refused = response.text().await.expect("page");
    assert!(
        refused.contains("<details class=\"confirm\" open>")
            && refused.contains("id=\"r-reason-1\" name=\"reason\"")
            && refused.contains("aria-describedby=\"r-reason-1-error\"")
            && !refused.contains("aria-describedby=\"a-note-1-error\""),
        "{refused}"
    );
    let response = hr
        .post_form(
            &server,
            &API.path(&format!("/reimbursements/{request}/reject")),
            &[("reason", "manca la ricevuta")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (_, page) = elena
        .page(&server, &API.path(&format!("/wallets/{enrolment}")))
        .await;
    assert!(page.contains("Respinto: manca la ricevuta"), "{page}");
    let (_, page) = elena.page(&server, &API.path("/catalogue")).await;
    assert!(page.contains("Ancora nessun servizio"), "{page}");

    // The operator registers a provider and a service by form; the owner links the account
    // with the code and prices the service on their page.
    let response = operator
        .post_form(
            &server,
            &API.path("/providers"),
            &[
                ("legal_name", "Studio Fisioterapia Sole"),
                ("vat_number", GYM_VAT),
                ("categories", "health"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let provider_page = crate::support::location(&response);
    let response = operator
        .post_form(
            &server,
            &format!("{provider_page}/services"),
            &[
                ("title", "Ciclo di 5 sedute"),
                ("category", "health"),
                ("price", ""),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, page) = operator.page(&server, &provider_page).await;
    assert_eq!(status, 200);
    assert!(page.contains("Ciclo di 5 sedute"), "{page}");
    let claim_code = page
        .split("Codice per il titolare: <code>")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .expect("the owner's code is on the page")
        .to_owned();
    add_user(&instance, "studio.sole", "citizen");
    let owner = login(&server, "studio.sole").await;
    let (_, page) = owner.page(&server, &API.path("/provider")).await;
    assert!(page.contains("Collega la tua attività"), "{page}");
    let response = owner
        .post_form(
            &server,
            &API.path("/provider/claim"),
            &[("code", &claim_code)],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let (status, page) = owner.page(&server, &API.path("/provider")).await;
    assert_eq!(status, 200);
    let service = page
        .split("/services/")
        .nth(1)
        .and_then(|rest| rest.split("/price").next())
        .expect("the price form")
        .to_owned();
    let response = owner
        .post_form(
            &server,
            &API.path(&format!("/services/{service}/price")),
            &[("price", "dieci euro")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 422);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("non è un importo")
    );
    let response = owner
        .post_form(
            &server,
            &API.path(&format!("/services/{service}/price")),
            &[("price", "60,00")],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);

    // Elena buys it from the catalogue page with a plain form and sees the receipt.
    let (_, page) = elena.page(&server, &API.path("/catalogue")).await;
    assert!(
        page.contains("Ciclo di 5 sedute") && page.contains("60,00 €"),
        "{page}"
    );
    let request_id = page
        .split("name=\"request_id\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's request id")
        .to_owned();
    let response = elena
        .post_form(
            &server,
            &API.path("/purchases"),
            &[
                ("enrolment", &enrolment),
                ("service", &service),
                ("price", "60.00"),
                ("request_id", &request_id),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let receipt = crate::support::location(&response);
    let (_, page) = elena.page(&server, &receipt).await;
    assert!(
        page.contains("hai acquistato «Ciclo di 5 sedute»"),
        "{page}"
    );
    // 250 − 60; the rejected request's 90 € came back.
    assert!(page.contains("<strong>190,00 €</strong>"), "{page}");
    let (_, page) = owner.page(&server, &API.path("/provider")).await;
    assert!(
        page.contains("Elena Gialli") && page.contains("60,00 €"),
        "{page}"
    );
    let (status, page) = operator.page(&server, &API.path("/providers")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("60,00 €"), "{page}");

    // The same pages in English.
    let (status, page) = hr.page(&server, &API.path("/hr?lang=en")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("New plan") && page.contains("€4,000.00"),
        "{page}"
    );
    let (_, page) = elena
        .page(&server, &API.path(&format!("/wallets/{enrolment}?lang=en")))
        .await;
    assert!(
        page.contains("Left to spend") && page.contains("€190.00"),
        "{page}"
    );
}
