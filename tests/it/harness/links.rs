//! Network faults between members, per ordered link: a TCP proxy on 127.0.0.1 for every pair
//! (src, dst) of members, which `src` dials instead of `dst`'s peer URL (the failpoints build's
//! `FAILPOINTS_PEER_DIAL_MAP`, see `etcd_oxide::failpoints::PEER_DIAL_MAP_ENV`). Link `(a, b)`
//! carries every connection `a` opens to `b` (Raft RPCs from `a`, forwarding from `a` to a
//! leader `b`); its bytes flow both ways: `forward` (a → b, the requests) and `back` (b → a, the
//! answers).
//!
//! Each link's [`LinkFault`] changes at run time and applies at once, to open connections too:
//! - `drop_forward` / `drop_back`: the bytes of that direction are held (a blackhole: nothing is
//!   read from the sender, whose TCP stack then buffers and retries, as with dropped packets);
//!   a new connection is accepted but not connected on while `drop_forward` holds. When the
//!   fault is lifted the held bytes flow again, as TCP retransmission delivers them after a
//!   short partition.
//! - `delay`: every chunk waits this long (± 20 %) before it is passed on.
//! - `loss` (0..1): TCP turns lost packets into retransmission waits, so each chunk is, with
//!   this probability, held for a retransmission timeout (200–400 ms); with a tenth of it the
//!   connection is reset (both sockets closed), as a connection that gave up.
//!
//! Only loopback: the proxies listen on `127.0.0.1` ports from [`super::free_port`] and dial
//! `127.0.0.1:<dst peer port>`. They run on their own runtime, stopped on Drop.

use std::collections::HashMap;
use std::time::Duration;

use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The fault state of one link (default: none).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LinkFault {
    /// Hold the bytes from the dialer to the dialed member (and new connections).
    pub drop_forward: bool,
    /// Hold the bytes from the dialed member back to the dialer.
    pub drop_back: bool,
    /// Delay of every chunk, both ways.
    pub delay: Duration,
    /// Probability (0..1) that a chunk waits a retransmission timeout; a tenth of it resets.
    pub loss: f64,
}

impl LinkFault {
    /// Both directions held: the link is cut.
    pub const CUT: LinkFault = LinkFault {
        drop_forward: true,
        drop_back: true,
        delay: Duration::ZERO,
        loss: 0.0,
    };
}

/// The proxies of every ordered pair of `n` members.
pub struct Links {
    n: usize,
    /// (src, dst) → (proxy port, fault state).
    links: HashMap<(usize, usize), (u16, watch::Sender<LinkFault>)>,
    rt: Option<tokio::runtime::Runtime>,
}

impl Links {
    /// Binds a proxy for every ordered pair of the members whose peer ports are `peer_ports`
    /// (member `i` listens on `127.0.0.1:peer_ports[i]`).
    pub fn new(peer_ports: &[u16]) -> Links {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("link-proxy")
            .enable_all()
            .build()
            .expect("link proxy runtime");
        let n = peer_ports.len();
        let mut links = HashMap::new();
        for src in 0..n {
            for (dst, &target) in peer_ports.iter().enumerate() {
                if src == dst {
                    continue;
                }
                let port = super::free_port();
                let std_l = std::net::TcpListener::bind(("127.0.0.1", port))
                    .unwrap_or_else(|e| panic!("bind link proxy 127.0.0.1:{port}: {e}"));
                std_l.set_nonblocking(true).expect("nonblocking listener");
                let (tx, rx) = watch::channel(LinkFault::default());
                rt.spawn(async move {
                    let l = TcpListener::from_std(std_l).expect("tokio listener");
                    accept_loop(l, target, rx).await;
                });
                links.insert((src, dst), (port, tx));
            }
        }
        Links {
            n,
            links,
            rt: Some(rt),
        }
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.n
    }

    /// The value of `FAILPOINTS_PEER_DIAL_MAP` for member `src`: every other member's peer URL
    /// (`http://127.0.0.1:<peer port>`) mapped to the proxy of link (src, dst).
    pub fn dial_map(&self, src: usize, peer_ports: &[u16]) -> String {
        (0..self.n)
            .filter(|dst| *dst != src)
            .map(|dst| {
                format!(
                    "http://127.0.0.1:{}=http://127.0.0.1:{}",
                    peer_ports[dst],
                    self.links[&(src, dst)].0
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Sets the fault of link (src, dst).
    pub fn set(&self, src: usize, dst: usize, fault: LinkFault) {
        self.links[&(src, dst)].1.send_replace(fault);
    }

    /// The current fault of link (src, dst).
    pub fn get(&self, src: usize, dst: usize) -> LinkFault {
        *self.links[&(src, dst)].1.borrow()
    }

    /// Cuts every link between a member of `side` and a member not in it, both ways.
    pub fn partition(&self, side: &[usize]) {
        for a in 0..self.n {
            for b in 0..self.n {
                if a != b && side.contains(&a) != side.contains(&b) {
                    self.set(a, b, LinkFault::CUT);
                }
            }
        }
    }

    /// Loses every packet from `from` to `to` while `to` → `from` still arrives: on link
    /// (from, to) the requests are held, on link (to, from) the answers.
    pub fn drop_one_way(&self, from: usize, to: usize) {
        let mut f = self.get(from, to);
        f.drop_forward = true;
        self.set(from, to, f);
        let mut b = self.get(to, from);
        b.drop_back = true;
        self.set(to, from, b);
    }

    /// Lifts every fault.
    pub fn heal(&self) {
        for (_, tx) in self.links.values() {
            tx.send_replace(LinkFault::default());
        }
    }
}

impl Drop for Links {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

async fn accept_loop(l: TcpListener, target: u16, state: watch::Receiver<LinkFault>) {
    loop {
        let Ok((client, _)) = l.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let mut state = state.clone();
        tokio::spawn(async move {
            // A new connection waits while the link drops forward traffic (a SYN that gets no
            // answer); the dialer's connect timeout decides when it gives up.
            if state.wait_for(|f| !f.drop_forward).await.is_err() {
                return;
            }
            let Ok(upstream) = TcpStream::connect(("127.0.0.1", target)).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = upstream.set_nodelay(true);
            let (cr, cw) = client.into_split();
            let (ur, uw) = upstream.into_split();
            // Whichever direction ends (EOF, error, reset by loss) closes both.
            tokio::select! {
                _ = pump(cr, uw, state.clone(), true) => {}
                _ = pump(ur, cw, state, false) => {}
            }
        });
    }
}

/// Copies `r` to `w` under the link's faults; `forward` is the dialer → dialed direction.
async fn pump(
    mut r: tokio::net::tcp::OwnedReadHalf,
    mut w: tokio::net::tcp::OwnedWriteHalf,
    mut state: watch::Receiver<LinkFault>,
    forward: bool,
) {
    let held = move |f: &LinkFault| if forward { f.drop_forward } else { f.drop_back };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if state.wait_for(|f| !held(f)).await.is_err() {
            return;
        }
        let n = match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // Bytes read just before a cut are held too.
        let f = match state.wait_for(|f| !held(f)).await {
            Ok(f) => *f,
            Err(_) => return,
        };
        if !f.delay.is_zero() {
            let jitter = rand::rng().random_range(0.8..1.2);
            tokio::time::sleep(f.delay.mul_f64(jitter)).await;
        }
        if f.loss > 0.0 {
            let (lost, reset, rto) = {
                let mut rng = rand::rng();
                (
                    rng.random_bool(f.loss.min(1.0)),
                    rng.random_bool((f.loss / 10.0).min(1.0)),
                    rng.random_range(200..400),
                )
            };
            if reset {
                return;
            }
            if lost {
                tokio::time::sleep(Duration::from_millis(rto)).await;
            }
        }
        if w.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// The proxy passes bytes both ways, holds them while cut and delivers them after a heal.
    #[test]
    fn a_cut_link_holds_bytes_until_healed() {
        let echo = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = echo.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = echo.accept() {
                let mut b = [0u8; 64];
                while let Ok(n) = s.read(&mut b) {
                    if n == 0 || s.write_all(&b[..n]).is_err() {
                        break;
                    }
                }
            }
        });
        // Member 0 dials member 1 (the echo server) through link (0, 1).
        let links = Links::new(&[super::super::free_port(), port]);
        let proxy = links.links[&(0, 1)].0;
        let mut s = std::net::TcpStream::connect(("127.0.0.1", proxy)).expect("connect proxy");
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        s.write_all(b"ping").expect("write");
        let mut b = [0u8; 4];
        s.read_exact(&mut b).expect("echo through the proxy");
        assert_eq!(&b, b"ping");
        links.set(0, 1, LinkFault::CUT);
        s.write_all(b"held").expect("write");
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .expect("timeout");
        assert!(s.read_exact(&mut b).is_err(), "a cut link passed bytes");
        links.heal();
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        s.read_exact(&mut b).expect("held bytes after the heal");
        assert_eq!(&b, b"held");
    }
}
