//! Connections within limits, as an attacker meets them: thousands of silent connections do not
//! stop `/healthz` or a real page from answering, a silent connection is closed once the header
//! deadline passes, and past the cap a new connection is told `503` at once instead of taking a
//! descriptor the server needs for its database.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{HELLO, Server, TestInstance, cache_dir};

/// Opens `n` connections that send nothing.
async fn silent_connections(server: &Server, n: usize) -> Vec<TcpStream> {
    let addr = format!("127.0.0.1:{}", server.port());
    let mut open = Vec::with_capacity(n);
    for _ in 0..n {
        open.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    open
}

async fn get(server: &Server, path: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(server.url(path))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .unwrap_or_else(|err| panic!("GET {path}: {err}"));
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn thousands_of_silent_connections_neither_block_the_server_nor_stay_open() {
    // The test process holds both ends' worth of client sockets.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let instance = TestInstance::new("idle", HELLO);
    let server = Server::start_with_args(
        &[instance.path()],
        &cache_dir(),
        &["--max-connections", "5000", "--header-timeout", "3"],
    );
    // The server raised its soft limit on open files to the hard one at start.
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).expect("limits");
    let open_files: Vec<&str> = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .map(|line| line.split_whitespace().skip(3).take(2).collect())
        .unwrap_or_default();
    assert!(
        open_files.len() == 2 && open_files[0] == open_files[1],
        "soft and hard limits differ: {open_files:?}"
    );
    let silent = silent_connections(&server, 2_000).await;

    let started = Instant::now();
    assert_eq!(get(&server, "/healthz").await, (200, "ok".to_owned()));
    let (status, home) = get(&server, "/").await;
    assert_eq!(status, 200);
    assert!(home.contains("<html"), "{home}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );

    // Past the header deadline the server has closed them: each read ends (EOF or reset).
    tokio::time::sleep(Duration::from_secs(4)).await;
    for mut stream in silent.into_iter().step_by(100) {
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("the server closes a silent connection after the header deadline");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }

    // A client that starts its headers and stalls is closed just the same.
    let mut slow = TcpStream::connect(format!("127.0.0.1:{}", server.port()))
        .await
        .expect("connect");
    slow.write_all(b"GET / HTTP/1.1\r\nHost: idle.localhost\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(8), slow.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "a stalled header is not held open");
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_cap_a_new_connection_is_refused_at_once_with_503() {
    let instance = TestInstance::new("cap", HELLO);
    let server = Server::start_with_args(
        &[instance.path()],
        &cache_dir(),
        &["--max-connections", "40", "--header-timeout", "30"],
    );
    let held = silent_connections(&server, 40).await;
    // Give the server the moment it needs to accept all forty.
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The refusal comes at once, before the client has said anything: read it from a bare
    // socket (an HTTP client that is still writing its request may see it as an error).
    let mut refused = TcpStream::connect(format!("127.0.0.1:{}", server.port()))
        .await
        .expect("connect");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), refused.read_to_end(&mut answer))
        .await
        .expect("an answer, not a hang")
        .expect("read the answer");
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(answer.starts_with("http/1.1 503"), "{answer}");
    assert!(answer.contains("\r\nretry-after: 5\r\n"), "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
    let envelope: serde_json::Value = serde_json::from_str(body).expect("JSON envelope");
    assert_eq!(envelope["error"]["kind"], "busy");

    // Once they go, the server answers again. Until it has noticed them close, a new
    // connection may still be refused at once, which an HTTP client sees as a failed send.
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let answered = reqwest::Client::new()
            .get(server.url("/healthz"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map(|response| response.status().as_u16());
        if matches!(answered, Ok(200)) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server never recovered: {answered:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_sent_too_slowly_is_cut_off_with_408_in_the_envelope() {
    let instance = TestInstance::new("slow-body", HELLO);
    let server =
        Server::start_with_args(&[instance.path()], &cache_dir(), &["--body-timeout", "1"]);
    let mut slow = TcpStream::connect(format!("127.0.0.1:{}", server.port()))
        .await
        .expect("connect");
    slow.write_all(
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=an",
    )
    .await
    .expect("write");
    let started = Instant::now();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the stalled body is cut off and the connection closed"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("application/json"), "{answer}");
    assert!(answer.contains(r#""kind":"request_timeout""#), "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_trickled_a_byte_at_a_time_is_cut_off_at_the_total_deadline() {
    let instance = TestInstance::new("trickle", HELLO);
    let server =
        Server::start_with_args(&[instance.path()], &cache_dir(), &["--body-timeout", "2"]);
    let mut slow = TcpStream::connect(format!("127.0.0.1:{}", server.port()))
        .await
        .expect("connect");
    slow.write_all(
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n",
    )
    .await
    .expect("write");
    // A byte every half second: each pause is well within the deadline, the whole is not.
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while started.elapsed() < Duration::from_secs(10) {
        if slow.write_all(b"a").await.is_err() {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(500), slow.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cut off at the deadline, not held: {:?}",
        started.elapsed()
    );
}
