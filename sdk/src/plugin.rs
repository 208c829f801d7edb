//! The [`Plugin`] trait and the adapter that connects it to the generated `handler` export.

use std::marker::PhantomData;

use crate::Result;
use crate::bindings::exports::trama::plugin::handler::Guest;
use crate::bindings::trama::plugin::types::{
    Event as WitEvent, HttpRequest, HttpResponse, PluginError,
};
use crate::events::Event;
use crate::http::{Request, Response};

/// What a plugin does. Implement it on a `Default` type and export it with
/// [`export_plugin!`](crate::export_plugin).
///
/// The kernel instantiates the plugin afresh for every call, so a plugin keeps nothing in
/// memory between calls: whatever must last goes into the [`store`](crate::store). That is why
/// the plugin type only needs `Default` — it is built once per call.
pub trait Plugin: Default + 'static {
    /// Answers an HTTP request under `/p/{plugin}/…`. A [`Router`](crate::router::Router)
    /// usually does the work.
    fn handle(&self, request: Request) -> Result<Response>;

    /// Reacts to an event the plugin subscribes to in `plugin.toml`.
    ///
    /// Delivery is at least once, so this must be idempotent: use [`Event::id`] to notice a
    /// redelivery. Returning an error makes the kernel deliver the event again later.
    fn on_event(&self, event: Event) -> Result<()> {
        let _ = event;
        Ok(())
    }

    /// Runs a scheduled job declared under `[[jobs]]` in `plugin.toml`.
    fn run_job(&self, name: &str) -> Result<()> {
        let _ = name;
        Ok(())
    }

    /// Prepares the plugin's data when it is first enabled on an instance (`previous` is `None`)
    /// or upgraded (`previous` is the old version). An error keeps the new version inactive.
    fn install(&self, previous: Option<&str>) -> Result<()> {
        let _ = previous;
        Ok(())
    }
}

/// Implements the generated `Guest` trait for any [`Plugin`]; [`export_plugin!`] exports it.
///
/// [`export_plugin!`]: crate::export_plugin
#[doc(hidden)]
pub struct Adapter<P>(PhantomData<P>);

/// Sends a panic's message and location to the kernel's log before the panic becomes a trap,
/// which by itself only says "unreachable executed". Set at every call because every call runs
/// in a fresh instance.
fn report_panics() {
    std::panic::set_hook(Box::new(|info| {
        crate::log::error(info.to_string());
    }));
}

/// What every call into a plugin does around the plugin's own method, wherever it runs: in the
/// component (the adapter below) and in a native test host (`trama-testhost`), so that a test
/// meets the plugin exactly as the kernel does — the answer's language set first.
pub mod serve {
    use super::Plugin;
    use crate::Result;
    use crate::events::Event;
    use crate::http::{Request, Response};

    /// A request, answered in the language it asks for; the one-time message of a redirect
    /// ([`Response::with_notice`]) handed to the kernel.
    pub fn request<P: Plugin>(request: Request) -> Result<Response> {
        crate::i18n::set_locale(request.locale());
        let response = P::default().handle(request)?;
        if let Some(text) = response.notice() {
            crate::host::notice::show(text);
        }
        Ok(response)
    }

    /// An event: no person asked, so the instance's own language.
    pub fn event<P: Plugin>(event: Event) -> Result<()> {
        crate::i18n::set_locale("");
        P::default().on_event(event)
    }

    /// A scheduled job, in the instance's language.
    pub fn job<P: Plugin>(name: &str) -> Result<()> {
        crate::i18n::set_locale("");
        P::default().run_job(name)
    }

    /// The install hook, in the instance's language.
    pub fn install<P: Plugin>(previous: Option<&str>) -> Result<()> {
        crate::i18n::set_locale("");
        P::default().install(previous)
    }
}

impl<P: Plugin> Guest for Adapter<P> {
    fn handle(request: HttpRequest) -> std::result::Result<HttpResponse, PluginError> {
        report_panics();
        serve::request::<P>(Request::from_wit(request))
            .map(Response::into_wit)
            .map_err(crate::Error::into_wit)
    }

    fn on_event(event: WitEvent) -> std::result::Result<(), String> {
        report_panics();
        serve::event::<P>(Event::from_wit(event)).map_err(|err| err.to_string())
    }

    fn run_job(name: String) -> std::result::Result<(), String> {
        report_panics();
        serve::job::<P>(&name).map_err(|err| err.to_string())
    }

    fn install(previous: Option<String>) -> std::result::Result<(), String> {
        report_panics();
        serve::install::<P>(previous.as_deref()).map_err(|err| err.to_string())
    }
}

/// Exports a [`Plugin`] as the component's `trama:plugin/handler` interface.
///
/// Call it once, at the top level of the plugin's `lib.rs`, with the plugin's type:
/// `trama_sdk::export_plugin!(MyPlugin);` (the crate documentation has a complete example).
/// A crate can export only one plugin.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        // Only the WebAssembly build is a component. Natively (the plugin's own tests against
        // `trama-testhost`, benchmarks) the crate is a library, and the component's export
        // names, which contain `:` and `@`, would not link into a native `cdylib`.
        // The generated export macro takes an identifier, hence the alias.
        #[cfg(target_arch = "wasm32")]
        #[doc(hidden)]
        type __TramaPluginExport = $crate::__private::Adapter<$plugin>;
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export!(__TramaPluginExport with_types_in $crate::bindings);
    };
}
