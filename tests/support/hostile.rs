//! A stand-in for Cloudflare that answers whatever a test scripts, including what no real server
//! would: bodies of any size or without end, any header, any status. Minimal HTTP/1.1 on loopback:
//! one request per connection.

use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

impl Seen {
    /// The password the request carries in `origin.password`, if any.
    pub fn password(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        v.pointer("/origin/password")?.as_str().map(str::to_owned)
    }
}

/// What to send back.
pub enum Body {
    Bytes(Vec<u8>),
    /// `chunk` again and again, `times` times, chunked: nothing held in memory.
    Repeat {
        chunk: Vec<u8>,
        times: usize,
    },
    /// `chunk` again and again until the client hangs up.
    Endless(Vec<u8>),
}

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Answer {
    pub fn json(status: u16, body: serde_json::Value) -> Answer {
        Answer {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: Body::Bytes(body.to_string().into_bytes()),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Answer {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Script = dyn Fn(&Seen) -> Answer + Send + Sync;

/// A running server; it stops when dropped.
pub struct Hostile {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    pub async fn start(script: impl Fn(&Seen) -> Answer + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let log = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (script, log) = (script.clone(), log.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, script.as_ref(), &log).await;
                });
            }
        });
        Hostile { port, seen, task }
    }

    /// The API base URL to configure (`CLOUDFLARE_API_BASE_URL`).
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/client/v4", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    script: &Script,
    log: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.lines();
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let seen = Seen { method, path, body };
    log.lock().unwrap().push(seen.clone());
    let answer = script(&seen);

    let mut out = format!(
        "HTTP/1.1 {} Scripted\r\nconnection: close\r\n",
        answer.status
    );
    for (k, v) in &answer.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    match answer.body {
        Body::Bytes(bytes) => {
            out.push_str(&format!("content-length: {}\r\n\r\n", bytes.len()));
            stream.write_all(out.as_bytes()).await?;
            stream.write_all(&bytes).await?;
        }
        Body::Repeat { chunk, times } => {
            out.push_str("transfer-encoding: chunked\r\n\r\n");
            stream.write_all(out.as_bytes()).await?;
            for _ in 0..times {
                write_chunk(&mut stream, &chunk).await?;
            }
            stream.write_all(b"0\r\n\r\n").await?;
        }
        Body::Endless(chunk) => {
            out.push_str("transfer-encoding: chunked\r\n\r\n");
            stream.write_all(out.as_bytes()).await?;
            loop {
                write_chunk(&mut stream, &chunk).await?;
            }
        }
    }
    stream.flush().await
}

async fn write_chunk(stream: &mut TcpStream, chunk: &[u8]) -> std::io::Result<()> {
    stream
        .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
        .await?;
    stream.write_all(chunk).await?;
    stream.write_all(b"\r\n").await
}
