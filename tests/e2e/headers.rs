//! Security headers as a browser receives them: every answer — kernel page, plugin page, JSON,
//! error — forbids framing and sniffing, keeps the referrer on the site and allows no script
//! from inline or elsewhere; answers that may show personal data are never stored by a cache,
//! while theme assets stay cacheable; over TLS browsers are told to come back only over TLS.

use crate::support::{HELLO, Server, TestInstance, add_user, header, login};

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_carries_the_security_headers() {
    let instance = TestInstance::new("headers", HELLO);
    add_user(&instance, "anna", "citizen");
    let server = Server::start(&[instance.path()]);
    let anna = login(&server, "anna").await;

    // Pages, a plugin's page and its JSON, an error, a signed-in page with personal data.
    for (path, status) in [
        ("/", 200),
        ("/login", 200),
        ("/p/hello/", 200),
        ("/p/hello/api/time", 200),
        ("/no-such-page", 404),
        ("/me", 200),
    ] {
        let response = anna
            .http
            .get(server.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .expect("GET");
        assert_eq!(response.status().as_u16(), status, "{path}");
        let csp = header(&response, "content-security-policy");
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "form-action 'self'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: CSP {csp:?} lacks {directive}"
            );
        }
        assert!(!csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(
            header(&response, "x-content-type-options"),
            "nosniff",
            "{path}"
        );
        assert_eq!(header(&response, "x-frame-options"), "DENY", "{path}");
        assert_eq!(
            header(&response, "referrer-policy"),
            "same-origin",
            "{path}"
        );
        assert_eq!(header(&response, "cache-control"), "no-store", "{path}");
        // Plain HTTP: HSTS would be ignored at best and wrong behind no TLS at all.
        assert_eq!(header(&response, "strict-transport-security"), "", "{path}");
    }

    // Theme assets keep their own caching, and the other headers.
    let css = anna
        .http
        .get(server.url("/static/build/theme.css"))
        .send()
        .await
        .expect("GET css");
    assert_eq!(css.status().as_u16(), 200);
    assert!(
        header(&css, "cache-control").starts_with("public"),
        "{:?}",
        css.headers()
    );
    assert_eq!(header(&css, "x-content-type-options"), "nosniff");

    // Behind a TLS-terminating proxy the browser is told to stay on HTTPS.
    let over_tls = anna
        .http
        .get(server.url("/"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .expect("GET over TLS");
    assert!(
        header(&over_tls, "strict-transport-security").starts_with("max-age=31536000"),
        "{:?}",
        over_tls.headers()
    );
}
