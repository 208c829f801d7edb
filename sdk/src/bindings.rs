//! Raw guest bindings of the `trama:plugin@1.10.0` world, generated from `wit/` at the repository
//! root — the same files the kernel's host bindings come from, so both sides cannot drift apart.
//!
//! Plugin authors never use this module: every wrapper in the SDK converts to and from these
//! types. It is public only because [`export_plugin!`](crate::export_plugin) expands inside the
//! plugin's crate and must reach the generated export glue.

#[cfg(target_arch = "wasm32")]
wit_bindgen::generate!({
    world: "plugin",
    path: "../wit",
    // The export macro is used from the plugin's crate, not from the SDK.
    pub_export_macro: true,
    default_bindings_module: "::trama_sdk::bindings",
});

// Outside WebAssembly the same types also serialize, so that a native test host
// (`trama-testhost`) converts them to the kernel's own host types field by field.
#[cfg(not(target_arch = "wasm32"))]
wit_bindgen::generate!({
    world: "plugin",
    path: "../wit",
    pub_export_macro: true,
    default_bindings_module: "::trama_sdk::bindings",
    additional_derives: [::serde::Serialize, ::serde::Deserialize],
});
