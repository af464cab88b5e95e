//! TCP connect like a normal client: resolve, then try each address in turn.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

use tokio::net::{lookup_host, TcpSocket, TcpStream};
use tokio::runtime::{Handle, RuntimeFlavor};

use super::ConnectError;

/// Connects to the first address of `host` that accepts, optionally from the local address
/// `bind` (`-A`), which must resolve to the same family as the address tried.
pub(super) async fn connect(
    host: &str,
    port: u16,
    bind: Option<&str>,
    nodelay: bool,
) -> Result<TcpStream, ConnectError> {
    let local = match bind {
        Some(bind) => Some(resolve(bind, 0).await?),
        None => None,
    };
    let mut last_error = None;
    for addr in resolve(host, port).await? {
        match connect_one(addr, local.as_deref()).await {
            Ok(stream) => {
                stream.set_nodelay(nodelay).map_err(ConnectError::Io)?;
                return Ok(stream);
            }
            Err(e) => last_error = Some(e),
        }
    }
    Err(ConnectError::Io(last_error.unwrap_or_else(|| {
        io::Error::new(io::ErrorKind::AddrNotAvailable, "No address to connect to")
    })))
}

/// Resolves `host`, an empty result being a lookup failure too.
///
/// The clients (`pub`, `sub`, `rr`) run one task on a current-thread runtime, where nothing
/// else could run during the lookup: they resolve in place, as mosquitto's clients do, rather
/// than start a thread for it. The broker and `bench` keep their workers free and resolve on
/// tokio's blocking pool.
async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, ConnectError> {
    let lookup_error = |source| ConnectError::Lookup {
        host: host.to_owned(),
        source,
    };
    let addrs: Vec<_> = if Handle::current().runtime_flavor() == RuntimeFlavor::CurrentThread {
        (host, port)
            .to_socket_addrs()
            .map_err(lookup_error)?
            .collect()
    } else {
        lookup_host((host, port))
            .await
            .map_err(lookup_error)?
            .collect()
    };
    if addrs.is_empty() {
        return Err(lookup_error(io::Error::new(
            io::ErrorKind::NotFound,
            "no address found",
        )));
    }
    Ok(addrs)
}

/// One attempt; `local` (when binding) supplies the source address of `addr`'s family.
async fn connect_one(addr: SocketAddr, local: Option<&[SocketAddr]>) -> io::Result<TcpStream> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    if let Some(local) = local {
        let source = local
            .iter()
            .find(|l| l.is_ipv4() == addr.is_ipv4())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!("bind address has no {} address", family(addr)),
                )
            })?;
        socket.bind(*source)?;
    }
    socket.connect(addr).await
}

fn family(addr: SocketAddr) -> &'static str {
    if addr.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}
