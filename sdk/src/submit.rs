//! One flow for every form and its JSON twin: read what was sent, check it, act, and answer —
//! `201` JSON or a redirect on success; on refusal a `422` JSON body listing the problems for
//! programs, or the same page again for people, filled with what they typed and saying what to
//! fix next to each field.
//!
//! ```no_run
//! use trama_sdk::http::{Request, Response};
//! use trama_sdk::input::{FormState, Problems};
//! use trama_sdk::router::Params;
//! use trama_sdk::submit::Submission;
//! use trama_sdk::{Result, web};
//!
//! fn page(status: u16, form: Option<FormState>) -> Result<Response> {
//!     Response::render_with_status(status, "rides.html", &trama_sdk::input::with_form(serde_json::json!({}), form))
//! }
//!
//! fn book(request: Request, _: Params) -> Result<Response> {
//!     let sub = Submission::read(&request, "book", &["from", "to"])?;
//!     let show = |status, form| page(status, Some(form));
//!     let mut problems = Problems::default();
//!     let from = sub.input.one("from").unwrap_or_default().to_owned();
//!     if from.is_empty() {
//!         problems.push("from", "scrivi da dove partire");
//!     }
//!     if !problems.is_empty() {
//!         return sub.refused(problems, &show);
//!     }
//!     let outcome: Result<String> = Ok(from);
//!     sub.answer(outcome, |ride| sub.done(&ride, &format!("/rides/{ride}")), &show)
//! }
//! ```

use serde::Serialize;
use serde_json::{Map, Value};

use crate::http::{Request, Response};
use crate::i18n::{self, Lang};
use crate::input::{FormState, Input, Problems, wants_json};
use crate::{Error, Result, web};

/// The hidden field that says where a form in two steps is: see [`Step`].
pub const STEP_FIELD: &str = "_step";

/// Where a form sent in two steps is — first the answers, checked and shown back as a summary
/// before anything is stored, then the confirmation — as Italian public services ask for an
/// application: people read what they are about to send. Programs send at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The answers, to be checked and summarised (the form as first sent: no `_step`).
    Review,
    /// "Modifica" on the summary: the form again, filled with what was sent.
    Edit,
    /// "Conferma e invia" on the summary (`_step=send`), or a program's request: act.
    Send,
}

/// One submission: what was sent, whether the answer is JSON, the person's language and the
/// name of the form on its page.
#[derive(Debug)]
pub struct Submission {
    pub input: Input,
    /// A program sent it (under `/api/`, or with a JSON body): the answer is JSON.
    pub json: bool,
    pub lang: Lang,
    form: String,
    lists: &'static [&'static str],
}

impl Submission {
    /// Reads a form, or a JSON body whose members are all in `allowed`.
    pub fn read(request: &Request, form: &str, allowed: &[&str]) -> Result<Self> {
        Ok(Self::of(
            request,
            form,
            Input::from_request(request, allowed)?,
        ))
    }

    /// A submission of input already read (a JSON body with rows, say).
    pub fn of(request: &Request, form: &str, input: Input) -> Self {
        Self {
            input,
            json: wants_json(request),
            lang: i18n::lang(request),
            form: form.to_owned(),
            lists: &[],
        }
    }

    /// Fields always echoed as lists (checkboxes, repeated selects), which a template indexes
    /// even when only one was sent.
    pub fn with_lists(mut self, lists: &'static [&'static str]) -> Self {
        self.lists = lists;
        self
    }

    /// What was typed, for filling the form again.
    pub fn echo(&self) -> Map<String, Value> {
        self.input.echo_with_lists(self.lists)
    }

    /// Where a form in two steps is: [`Step::Send`] for programs, else what the form's hidden
    /// [`STEP_FIELD`] says ([`Step::Review`] when it says nothing).
    pub fn step(&self) -> Step {
        if self.json {
            return Step::Send;
        }
        match self.input.one(STEP_FIELD) {
            Some("send") => Step::Send,
            Some("edit") => Step::Edit,
            _ => Step::Review,
        }
    }

    /// What was sent, to carry from the summary to the confirmation in hidden fields: every
    /// field but the step and the CSRF token (the page adds its own).
    pub fn carried(&self) -> Vec<(String, Vec<String>)> {
        self.input
            .fields()
            .filter(|(name, _)| *name != STEP_FIELD && *name != "_csrf")
            .map(|(name, values)| (name.to_owned(), values.to_vec()))
            .collect()
    }

    /// What the summary page of a form in steps needs, to merge into its context: `summary`
    /// (`lines` as `{question, answer}`, what the person is about to send, in words),
    /// `carried` (what they typed, for the theme's `ui::carried`) and `step_field`.
    pub fn review(&self, lines: Vec<(String, String)>) -> Map<String, Value> {
        let summary: Vec<Value> = lines
            .into_iter()
            .map(|(question, answer)| serde_json::json!({ "question": question, "answer": answer }))
            .collect();
        let carried: Vec<Value> = self
            .carried()
            .into_iter()
            .map(|(name, values)| serde_json::json!({ "name": name, "values": values }))
            .collect();
        let mut context = Map::new();
        context.insert("summary".into(), Value::Array(summary));
        context.insert("carried".into(), Value::Array(carried));
        context.insert("step_field".into(), Value::from(STEP_FIELD));
        context
    }

    /// The form again, filled with what was sent and nothing to fix ([`Step::Edit`]).
    pub fn edit(&self, page: impl FnOnce(u16, FormState) -> Result<Response>) -> Result<Response> {
        page(200, FormState::filled(&self.form, self.echo()))
    }

    /// The answer to a submission whose fields break rules: `422` JSON, or `page` shown again
    /// with status `422` and each problem next to its field.
    pub fn refused(
        &self,
        problems: Problems,
        page: impl FnOnce(u16, FormState) -> Result<Response>,
    ) -> Result<Response> {
        if self.json {
            return problems.into_json_response(self.lang);
        }
        page(
            422,
            FormState::new(&self.form, &problems, self.echo(), self.lang),
        )
    }

    /// The answer to a failed action: an error the person can fix
    /// ([`Error::belongs_in_form`]) is shown on `page` with its status; any other error, and
    /// every error of a JSON request, goes to the kernel as it is.
    pub fn failed(
        &self,
        err: Error,
        page: impl FnOnce(u16, FormState) -> Result<Response>,
    ) -> Result<Response> {
        if self.json || !err.belongs_in_form() {
            return Err(err);
        }
        page(
            err.status(),
            FormState::message(&self.form, err.message(), self.echo()),
        )
    }

    /// [`done`](Self::done)-style success through `ok`, or [`failed`](Self::failed).
    pub fn answer<T>(
        &self,
        outcome: Result<T>,
        ok: impl FnOnce(T) -> Result<Response>,
        page: impl FnOnce(u16, FormState) -> Result<Response>,
    ) -> Result<Response> {
        match outcome {
            Ok(value) => ok(value),
            Err(err) => self.failed(err, page),
        }
    }

    /// Success: `201` with `value` for programs, a redirect to `path` inside the plugin for
    /// people.
    pub fn done<T: Serialize>(&self, value: &T, path: &str) -> Result<Response> {
        if self.json {
            web::created(value)
        } else {
            Ok(web::to(path))
        }
    }
}
