//! Connections to real listeners on 127.0.0.1 and a unix socket, with certificates made by
//! rcgen, so the tests need nothing outside the process.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ProtocolVersion, RootCertStore, ServerConfig, SupportedProtocolVersion};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// Connects once, as the clients do: [`Connector::new`] then [`Connector::connect`].
async fn connect(endpoint: &Endpoint) -> Result<BoxedStream, ConnectError> {
    Connector::new(endpoint.clone())?.connect().await
}
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use super::*;

/// A CA, a server certificate it signed, a client certificate it signed, and an unrelated CA,
/// all as PEM files in a temporary directory.
struct Pki {
    dir: TempDir,
}

impl Pki {
    /// Issues the server certificate for `server_names` (DNS names or IP addresses).
    fn new(server_names: &[&str]) -> Result<Pki> {
        let dir = TempDir::new()?;
        let ca = ca("mqtk test CA")?;
        let names: Vec<String> = server_names.iter().map(|s| s.to_string()).collect();
        leaf(dir.path(), "server", CertificateParams::new(names)?, &ca)?;
        leaf(
            dir.path(),
            "client",
            CertificateParams::new(Vec::new())?,
            &ca,
        )?;
        fs::write(dir.path().join("ca.pem"), ca.pem())?;
        fs::write(
            dir.path().join("other-ca.pem"),
            self::ca("another CA")?.pem(),
        )?;
        Ok(Pki { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn tls(&self, cafile: &str) -> TlsOptions {
        TlsOptions {
            cafile: Some(self.path(cafile)),
            ..TlsOptions::default()
        }
    }
}

fn ca(name: &str) -> Result<CertifiedIssuer<'static, KeyPair>> {
    let mut params = CertificateParams::new(Vec::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    Ok(CertifiedIssuer::self_signed(params, KeyPair::generate()?)?)
}

fn leaf(
    dir: &Path,
    name: &str,
    params: CertificateParams,
    ca: &CertifiedIssuer<'_, KeyPair>,
) -> Result<()> {
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, ca)?;
    fs::write(dir.join(format!("{name}.pem")), cert.pem())?;
    fs::write(dir.join(format!("{name}-key.pem")), key.serialize_pem())?;
    Ok(())
}

/// What the server saw of a successful handshake.
#[derive(Debug)]
struct Seen {
    client_cert: bool,
    alpn: Option<Vec<u8>>,
    version: Option<ProtocolVersion>,
}

/// Accepts one TLS connection (client certificates optional, ALPN `mqtt`, TLS `versions`),
/// sends `hi`, and reports what it saw.
async fn tls_server(
    pki: &Pki,
    versions: &[&'static SupportedProtocolVersion],
) -> Result<(u16, JoinHandle<Result<Seen>>)> {
    let acceptor = tls_acceptor(pki, versions)?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let mut tls = acceptor.accept(tcp).await?;
        tls.write_all(b"hi").await?;
        tls.flush().await?;
        let (_, session) = tls.get_ref();
        Ok(Seen {
            client_cert: session.peer_certificates().is_some(),
            alpn: session.alpn_protocol().map(<[u8]>::to_vec),
            version: session.protocol_version(),
        })
    });
    Ok((port, server))
}

/// The test server's TLS side: the `server.pem` certificate, optional client certificates.
fn tls_acceptor(pki: &Pki, versions: &[&'static SupportedProtocolVersion]) -> Result<TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut client_roots = RootCertStore::empty();
    client_roots.add(CertificateDer::from_pem_file(pki.path("ca.pem"))?)?;
    let client_verifier =
        WebPkiClientVerifier::builder_with_provider(Arc::new(client_roots), provider.clone())
            .allow_unauthenticated()
            .build()?;
    let certs = CertificateDer::pem_file_iter(pki.path("server.pem"))?.collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_file(pki.path("server-key.pem"))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)?
        .with_client_cert_verifier(client_verifier)
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"mqtt".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn endpoint(host: &str, port: u16, tls: Option<TlsOptions>) -> Endpoint {
    Endpoint {
        host: host.to_owned(),
        port,
        unix: None,
        bind: None,
        nodelay: false,
        tls,
        websocket: None,
    }
}

/// Connects, expects `hi` from the server, and returns what the server saw.
async fn tls_round_trip(pki: &Pki, host: &str, tls: TlsOptions) -> Result<Seen> {
    let (port, server) = tls_server(pki, rustls::ALL_VERSIONS).await?;
    let mut stream = connect(&endpoint(host, port, Some(tls))).await?;
    let mut hi = [0; 2];
    stream.read_exact(&mut hi).await?;
    assert_eq!(&hi, b"hi");
    server.await?
}

/// Connects where the handshake must fail, and returns the error.
async fn tls_failure(pki: &Pki, host: &str, tls: TlsOptions) -> Result<ConnectError> {
    let (port, _server) = tls_server(pki, rustls::ALL_VERSIONS).await?;
    match connect(&endpoint(host, port, Some(tls))).await {
        Ok(_) => anyhow::bail!("connected although the handshake should fail"),
        Err(e) => Ok(e),
    }
}

#[tokio::test]
async fn cafile_verifies_server() -> Result<()> {
    let pki = Pki::new(&["127.0.0.1"])?;
    let seen = tls_round_trip(&pki, "127.0.0.1", pki.tls("ca.pem")).await?;
    assert!(!seen.client_cert);
    assert_eq!(seen.alpn, None);
    assert_eq!(seen.version, Some(ProtocolVersion::TLSv1_3));
    Ok(())
}

#[tokio::test]
async fn wrong_ca_fails_even_when_insecure() -> Result<()> {
    let pki = Pki::new(&["127.0.0.1"])?;
    for insecure in [false, true] {
        let tls = TlsOptions {
            insecure,
            ..pki.tls("other-ca.pem")
        };
        let e = tls_failure(&pki, "127.0.0.1", tls).await?;
        assert!(matches!(e, ConnectError::Tls(_)), "{e:?}");
        assert_eq!(e.mosq_err(), 8);
        assert_eq!(
            e.to_string(),
            "Unable to connect (TLS error: invalid peer certificate: UnknownIssuer)"
        );
    }
    Ok(())
}

#[tokio::test]
async fn insecure_forgives_only_the_host_name() -> Result<()> {
    let pki = Pki::new(&["broker.example"])?;
    let e = tls_failure(&pki, "127.0.0.1", pki.tls("ca.pem")).await?;
    assert!(e.to_string().contains("not valid for name"), "{e}");
    let insecure = TlsOptions {
        insecure: true,
        ..pki.tls("ca.pem")
    };
    tls_round_trip(&pki, "127.0.0.1", insecure).await?;
    Ok(())
}

#[tokio::test]
async fn client_certificate_and_alpn() -> Result<()> {
    let pki = Pki::new(&["localhost"])?;
    let tls = TlsOptions {
        cert: Some(pki.path("client.pem")),
        key: Some(pki.path("client-key.pem")),
        alpn: Some("mqtt".into()),
        ..pki.tls("ca.pem")
    };
    let seen = tls_round_trip(&pki, "localhost", tls).await?;
    assert!(seen.client_cert);
    assert_eq!(seen.alpn.as_deref(), Some(&b"mqtt"[..]));
    Ok(())
}

#[tokio::test]
async fn tls_version_is_a_minimum() -> Result<()> {
    let pki = Pki::new(&["127.0.0.1"])?;
    for (version, works) in [(TlsVersion::Tls12, true), (TlsVersion::Tls13, false)] {
        let (port, server) = tls_server(&pki, &[&rustls::version::TLS12]).await?;
        let tls = TlsOptions {
            version: Some(version),
            ..pki.tls("ca.pem")
        };
        let connected = connect(&endpoint("127.0.0.1", port, Some(tls))).await;
        assert_eq!(connected.is_ok(), works, "{version:?}");
        if works {
            assert_eq!(server.await??.version, Some(ProtocolVersion::TLSv1_2));
        }
    }
    Ok(())
}

#[tokio::test]
async fn capath_loads_every_certificate_file() -> Result<()> {
    let pki = Pki::new(&["127.0.0.1"])?;
    let capath = pki.path("capath");
    fs::create_dir(&capath)?;
    fs::copy(pki.path("other-ca.pem"), capath.join("a.pem"))?;
    fs::copy(pki.path("ca.pem"), capath.join("b.crt"))?;
    fs::write(capath.join("README"), "not a certificate")?;
    fs::write(
        capath.join("broken.pem"),
        "-----BEGIN CERTIFICATE-----\n!!\n",
    )?;
    let tls = TlsOptions {
        capath: Some(capath),
        ..TlsOptions::default()
    };
    tls_round_trip(&pki, "127.0.0.1", tls).await?;
    Ok(())
}

#[test]
fn bad_tls_options_fail_before_connecting() -> Result<()> {
    let pki = Pki::new(&["127.0.0.1"])?;
    let error = |tls: TlsOptions| match Connector::new(endpoint("127.0.0.1", 1, Some(tls))) {
        Ok(_) => "no error".to_owned(),
        Err(e) => e.to_string(),
    };
    let missing = pki.path("missing.pem");
    assert_eq!(
        error(pki.tls("missing.pem")),
        format!(
            "Problem setting TLS options: {}: No such file or directory",
            missing.display()
        )
    );
    assert_eq!(
        error(pki.tls("server-key.pem")),
        format!(
            "Problem setting TLS options: {}: no certificate found",
            pki.path("server-key.pem").display()
        )
    );
    let cert_only = TlsOptions {
        cert: Some(pki.path("client.pem")),
        ..pki.tls("ca.pem")
    };
    assert_eq!(
        error(cert_only),
        "Both certfile and keyfile must be provided if one of them is set."
    );
    let cert_as_key = TlsOptions {
        cert: Some(pki.path("client.pem")),
        key: Some(pki.path("client.pem")),
        ..pki.tls("ca.pem")
    };
    assert_eq!(
        error(cert_as_key),
        format!(
            "Problem setting TLS options: {}: no unencrypted private key found",
            pki.path("client.pem").display()
        )
    );
    Ok(())
}

#[test]
fn tls_versions() {
    assert_eq!("tlsv1.3".parse(), Ok(TlsVersion::Tls13));
    assert_eq!("tlsv1.2".parse(), Ok(TlsVersion::Tls12));
    assert_eq!(
        "tlsv1.1".parse::<TlsVersion>(),
        Err("TLS version tlsv1.1 is not supported, use tlsv1.2 or tlsv1.3.".to_owned())
    );
    assert_eq!(
        "sslv3".parse::<TlsVersion>(),
        Err("Protocol sslv3 not supported.".to_owned())
    );
}

#[tokio::test]
async fn tcp_with_bind_and_nodelay() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(async move { listener.accept().await });
    let target = Endpoint {
        bind: Some("127.0.0.1".into()),
        nodelay: true,
        ..endpoint("127.0.0.1", port, None)
    };
    let _stream = connect(&target).await?;
    let (_, peer) = server.await??;
    assert_eq!(peer.ip().to_string(), "127.0.0.1");
    Ok(())
}

#[tokio::test]
async fn refused_connection() -> Result<()> {
    let port = TcpListener::bind("127.0.0.1:0").await?.local_addr()?.port();
    let e = connect(&endpoint("127.0.0.1", port, None))
        .await
        .err()
        .context("connected to a closed port")?;
    assert_eq!(e.to_string(), "Connection refused");
    assert_eq!(e.mosq_err(), 14);
    Ok(())
}

#[tokio::test]
async fn unknown_host_is_a_lookup_error() -> Result<()> {
    let e = connect(&endpoint("no-such-host.invalid", 1883, None))
        .await
        .err()
        .context("resolved an .invalid name")?;
    assert!(matches!(e, ConnectError::Lookup { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("Unable to connect (Lookup error: no-such-host.invalid: "),
        "{e}"
    );
    Ok(())
}

#[cfg(unix)]
#[tokio::test]
async fn unix_socket_round_trip() -> Result<()> {
    let dir = TempDir::new()?;
    let path = dir.path().join("broker.sock");
    let listener = tokio::net::UnixListener::bind(&path)?;
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await?;
        let mut buf = [0; 4];
        socket.read_exact(&mut buf).await?;
        socket.write_all(&buf).await?;
        anyhow::Ok(())
    });
    let target = Endpoint {
        unix: Some(path.clone()),
        ..endpoint("localhost", 0, None)
    };
    let mut stream = connect(&target).await?;
    stream.write_all(b"ping").await?;
    let mut echo = [0; 4];
    stream.read_exact(&mut echo).await?;
    assert_eq!(&echo, b"ping");
    server.await??;
    drop(dir);
    let e = connect(&target).await.err().context("socket still there")?;
    assert_eq!(e.to_string(), "No such file or directory");
    Ok(())
}

/// What a WebSocket server saw.
#[derive(Debug)]
struct WsSeen {
    path: String,
    protocol: Option<String>,
    ping_answered: bool,
    /// The first message other than a pong.
    first: Message,
}

/// Accepts one WebSocket (over TLS with `tls`), agrees to `mqtt`, sends a ping then `hello`,
/// and returns what it saw.
async fn ws_server(tls: Option<TlsAcceptor>) -> Result<(u16, JoinHandle<Result<WsSeen>>)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await?;
        let stream: BoxedStream = match tls {
            Some(acceptor) => Box::new(acceptor.accept(tcp).await?),
            None => Box::new(tcp),
        };
        let mut request = None;
        // The error type is tungstenite's, not ours to shrink.
        #[allow(clippy::result_large_err)]
        let callback = |req: &Request, mut resp: Response| {
            let protocol = req.headers().get("Sec-WebSocket-Protocol");
            request = Some((
                req.uri().path().to_owned(),
                protocol.and_then(|p| p.to_str().ok()).map(str::to_owned),
            ));
            resp.headers_mut()
                .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
            Ok(resp)
        };
        let mut ws = tokio_tungstenite::accept_hdr_async(stream, callback).await?;
        let (path, protocol) = request.context("no request")?;
        ws.send(Message::Ping(Bytes::from_static(b"p"))).await?;
        ws.send(Message::Binary(Bytes::from_static(b"hello")))
            .await?;
        let mut ping_answered = false;
        loop {
            match ws.next().await.context("no message")?? {
                Message::Pong(_) => ping_answered = true,
                first => {
                    return Ok(WsSeen {
                        path,
                        protocol,
                        ping_answered,
                        first,
                    })
                }
            }
        }
    });
    Ok((port, server))
}

/// Reads `hello` in two parts, writes `abc`, and returns what the server saw.
async fn ws_round_trip(target: Endpoint, server: JoinHandle<Result<WsSeen>>) -> Result<WsSeen> {
    let mut stream = connect(&target).await?;
    let mut part = [0; 3];
    stream.read_exact(&mut part).await?;
    assert_eq!(&part, b"hel");
    let mut rest = [0; 2];
    stream.read_exact(&mut rest).await?;
    assert_eq!(&rest, b"lo");
    stream.write_all(b"abc").await?;
    stream.flush().await?;
    server.await?
}

#[tokio::test]
async fn websocket_carries_bytes() -> Result<()> {
    let (port, server) = ws_server(None).await?;
    let target = Endpoint {
        websocket: Some("/mqtt".into()),
        ..endpoint("127.0.0.1", port, None)
    };
    let seen = ws_round_trip(target, server).await?;
    assert_eq!(seen.path, "/mqtt");
    assert_eq!(seen.protocol.as_deref(), Some("mqtt"));
    assert!(seen.ping_answered);
    assert_eq!(seen.first, Message::Binary(Bytes::from_static(b"abc")));
    Ok(())
}

#[tokio::test]
async fn websocket_over_tls() -> Result<()> {
    let pki = Pki::new(&["127.0.0.1"])?;
    let (port, server) = ws_server(Some(tls_acceptor(&pki, rustls::ALL_VERSIONS)?)).await?;
    let target = Endpoint {
        websocket: Some("/ws".into()),
        ..endpoint("127.0.0.1", port, Some(pki.tls("ca.pem")))
    };
    let seen = ws_round_trip(target, server).await?;
    assert_eq!(seen.path, "/ws");
    assert_eq!(seen.first, Message::Binary(Bytes::from_static(b"abc")));
    Ok(())
}

#[tokio::test]
async fn websocket_upgrade_refused() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await?;
        let mut request = [0; 1024];
        let _ = tcp.read(&mut request).await?;
        tcp.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            .await?;
        anyhow::Ok(())
    });
    let target = Endpoint {
        websocket: Some("/mqtt".into()),
        ..endpoint("127.0.0.1", port, None)
    };
    let e = connect(&target).await.err().context("upgrade accepted")?;
    assert_eq!(e.mosq_err(), 2);
    assert_eq!(
        e.to_string(),
        "Unable to connect (WebSocket error: HTTP error: 404 Not Found)"
    );
    Ok(())
}
