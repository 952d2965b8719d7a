//! Real servers for integration tests: started on loopback ports from
//! Debian's packages, stopped by PID when the test ends, however it ends.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::tool;

/// Kills the process when the test ends, however it ends.
pub struct Server(Child);

impl Server {
    /// Pauses (`STOP`) or resumes (`CONT`) the process: a server that is
    /// there but does not answer.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.0.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A paused process would not die of SIGKILL until resumed on some
        // systems' tooling; resume it first.
        let _ = Command::new("kill")
            .args(["-CONT".to_string(), self.0.id().to_string()])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn get(url: &str) -> Option<(u16, String)> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let response = client.get(url).send().ok()?;
    Some((response.status().as_u16(), response.text().ok()?))
}

/// Polls `check` every 250 ms until it returns a value, or panics after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

pub fn start(program: &str, args: &[String], dir: &Path, ready: &str) -> Server {
    let log = std::fs::File::create(dir.join(format!("{program}.log"))).unwrap();
    let child = Command::new(tool(program))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let server = Server(child);
    wait_for(
        &format!("{program} to be ready"),
        Duration::from_secs(30),
        || get(ready).filter(|(status, _)| *status == 200),
    );
    server
}

/// A Prometheus on `port` with `root/prometheus.yml` and its data under
/// `root/data`; `extra` flags such as `--web.enable-lifecycle` follow.
pub fn start_prometheus(root: &Path, port: u16, extra: &[&str]) -> Server {
    let mut args = vec![
        "--config.file=prometheus.yml".to_string(),
        format!("--storage.tsdb.path={}", root.join("data").display()),
        format!("--web.listen-address=127.0.0.1:{port}"),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    start(
        "prometheus",
        &args,
        root,
        &format!("http://127.0.0.1:{port}/-/ready"),
    )
}

/// A Prometheus (data under `root`) that evaluates every second the rule
/// files in `rules_dir` and reloads on `POST /-/reload`, as `apply` needs.
pub fn prometheus_loading(root: &Path, rules_dir: &Path, port: u16) -> Server {
    std::fs::create_dir_all(rules_dir).unwrap();
    std::fs::write(
        root.join("prometheus.yml"),
        format!(
            "global: {{evaluation_interval: 1s}}\nrule_files: ['{}/*.yaml']\n",
            rules_dir.display()
        ),
    )
    .unwrap();
    start_prometheus(root, port, &["--web.enable-lifecycle"])
}
