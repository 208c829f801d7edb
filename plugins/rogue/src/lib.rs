//! # rogue — a plugin that misbehaves on purpose
//!
//! **A test fixture, never to be enabled on a real instance.** Each route breaks one rule of
//! good conduct so that the kernel's tests can prove the sandbox contains it: the call fails
//! with a clear error, the kernel keeps serving, and the next call works.
//!
//! | route | what it does | what the kernel should do |
//! |---|---|---|
//! | `GET /ok` | answers `{"ok":true}` | serve it: the control case |
//! | `GET /loop` | spins forever | stop it at the HTTP deadline |
//! | `GET /eat` | allocates and touches 1 MiB chunks forever | stop it at the memory cap |
//! | `GET /panic` | panics | report the trap |
//! | `GET /deep` | recurses without end | stop it at the wasm stack limit (a stack-overflow trap) |
//! | `GET /huge` | answers a 20 MiB JSON document | refuse the oversized answer |
//! | `GET /other` | reads collection `not_declared`, absent from `plugin.toml` | refuse the store call (the plugin answers 500 with the kernel's message) |
//! | `GET /peek/{collection}/{id}` | reads a document by id: `{"found": data or null}` | show only rogue's own documents of this instance |
//! | `GET /list/{collection}` | lists the collection: `{"ids": [...], "docs": [...]}` | the same |
//! | `POST /plant/{collection}/{id}` | writes the JSON body as a document under that id and reads it back: `{"version": n, "read": data}` | write into rogue's own documents, never over another plugin's or instance's; let the call read its own write |
//! | `POST /plant-then/{how}/{collection}/{id}` | writes like `/plant`, then fails: `how` is `fail` (a 409 error), `panic` or `loop` (until the deadline), or `publish`: publishes `rogue.misbehaved` with a payload its schema refuses and passes the refusal on (`publish-ok`: one that matches, and succeeds) | keep nothing of a call that fails: the write is rolled back; refuse the payload, naming plugin, event and field |
//!
//! Its install hook accepts a first install and refuses every upgrade, so that tests can prove
//! a failed upgrade leaves the installed version running.
//!
//! `plugin.toml` asks only for `store`, `log` and `events`. Besides its own collection `things` it declares
//! `greetings`, the name of a collection of the `hello` plugin, so that tests can prove that
//! the same name still reaches only rogue's own documents.

use std::hint::black_box;

use trama_sdk::http::{Request, Response};
use trama_sdk::router::{Params, Router};
use trama_sdk::store::Collection;
use trama_sdk::{Plugin, Result, events, log};

/// Size of the answer of `/huge`.
const HUGE_BYTES: usize = 20 * 1024 * 1024;
/// Size of each allocation of `/eat`.
const CHUNK_BYTES: usize = 1024 * 1024;

fn ok(_: Request, _: Params) -> Result<Response> {
    Response::json(&serde_json::json!({ "ok": true }))
}

fn endless_loop(_: Request, _: Params) -> Result<Response> {
    log::warn("rogue: entering an endless loop on purpose");
    let mut n: u64 = 0;
    // `black_box` keeps the optimizer from proving the loop has no effect and removing it.
    loop {
        n = black_box(n.wrapping_add(1));
    }
}

fn eat_memory(_: Request, _: Params) -> Result<Response> {
    log::warn("rogue: allocating memory without end on purpose");
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        // Writing non-zero bytes touches every page, so the memory is really used.
        let chunk = vec![0xA5_u8; CHUNK_BYTES];
        hoard.push(black_box(chunk));
        black_box(&hoard);
    }
}

fn panic(_: Request, _: Params) -> Result<Response> {
    panic!("rogue: panicking on purpose");
}

/// Recurses until the WebAssembly stack overflows. The exit test can never pass, but the
/// compiler cannot know that through `black_box`, and `black_box` on the result keeps the call
/// from becoming a loop. Frames hold only scalars, which live on the wasm stack rather than in
/// linear memory, so what overflows is the engine's stack limit.
#[inline(never)]
fn descend(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return depth;
    }
    black_box(descend(depth + 1))
}

fn deep(_: Request, _: Params) -> Result<Response> {
    log::warn("rogue: recursing without end on purpose");
    let depth = descend(0);
    Response::json(&serde_json::json!({ "depth": depth }))
}

/// Written straight into one buffer: serializing a 20 MiB value the usual way would need
/// several copies and hit the memory cap before the answer reached the kernel.
fn huge(_: Request, _: Params) -> Result<Response> {
    let (head, tail) = (r#"{"filler":""#, r#""}"#);
    let mut body = String::with_capacity(head.len() + HUGE_BYTES + tail.len());
    body.push_str(head);
    body.extend(std::iter::repeat_n('x', HUGE_BYTES));
    body.push_str(tail);
    Ok(Response::json_text(200, body))
}

fn other(_: Request, _: Params) -> Result<Response> {
    let undeclared: Collection<serde_json::Value> = Collection::new("not_declared");
    let found = undeclared.get("anything")?;
    Response::json(&found.map(|doc| doc.data))
}

/// A collection named in the path: rogue's own if declared, refused by the kernel otherwise.
fn named(params: &Params) -> Result<Collection<serde_json::Value>> {
    Ok(Collection::named(params.get("collection")?))
}

fn peek(_: Request, params: Params) -> Result<Response> {
    let found = named(&params)?.get(params.get("id")?)?;
    Response::json(&serde_json::json!({ "found": found.map(|doc| doc.data) }))
}

fn list(_: Request, params: Params) -> Result<Response> {
    let docs = named(&params)?.query().limit(1000).fetch()?;
    let ids: Vec<&str> = docs.iter().map(|doc| doc.id.as_str()).collect();
    let data: Vec<&serde_json::Value> = docs.iter().map(|doc| &doc.data).collect();
    Response::json(&serde_json::json!({ "ids": ids, "docs": data }))
}

fn plant(request: Request, params: Params) -> Result<Response> {
    let data: serde_json::Value = request.json()?;
    let collection = named(&params)?;
    let id = params.get("id")?;
    let version = collection.put(id, &data)?;
    let read = collection.get(id)?.map(|doc| doc.data);
    Response::json(&serde_json::json!({ "version": version, "read": read }))
}

fn plant_then(request: Request, params: Params) -> Result<Response> {
    let data: serde_json::Value = request.json()?;
    named(&params)?.put(params.get("id")?, &data)?;
    match params.get("how")? {
        "panic" => panic!("rogue: panicking after a write on purpose"),
        // `count` must be a non-negative integer (see plugin.toml).
        "publish" => {
            let payload = serde_json::json!({ "count": "many", "label": "rogue" });
            events::publish("rogue.misbehaved", &payload)?;
            Response::json(&serde_json::json!({ "published": true }))
        }
        "publish-ok" => {
            let payload = serde_json::json!({ "count": 1, "label": "rogue" });
            events::publish("rogue.misbehaved", &payload)?;
            Response::json(&serde_json::json!({ "published": true }))
        }
        "loop" => {
            let mut n: u64 = 0;
            loop {
                n = black_box(n.wrapping_add(1));
            }
        }
        _ => Err(trama_sdk::Error::conflict(
            "rogue: failing after a write on purpose",
        )),
    }
}

#[derive(Default)]
pub struct Rogue;

impl Plugin for Rogue {
    fn handle(&self, request: Request) -> Result<Response> {
        Router::new()
            .get("/ok", ok)
            .get("/loop", endless_loop)
            .get("/eat", eat_memory)
            .get("/panic", panic)
            .get("/deep", deep)
            .get("/huge", huge)
            .get("/other", other)
            .get("/peek/{collection}/{id}", peek)
            .get("/list/{collection}", list)
            .post("/plant/{collection}/{id}", plant)
            .post("/plant-then/{how}/{collection}/{id}", plant_then)
            .handle(request)
    }

    fn install(&self, previous: Option<&str>) -> Result<()> {
        match previous {
            None => Ok(()),
            Some(previous) => Err(trama_sdk::Error::internal(format!(
                "rogue refuses to upgrade from {previous}: its data cannot be migrated"
            ))),
        }
    }
}

trama_sdk::export_plugin!(Rogue);
