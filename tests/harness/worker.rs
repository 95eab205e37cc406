//! Starting, restarting and stopping `wrangler dev --local`.

use std::fs;
use std::io::Write;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fairtrain_core::ed25519::SigningKey;
use fairtrain_core::encoding::base64url_encode;

use crate::http::Req;

pub struct Worker {
    pub base: String,
    /// The operator's bootstrap token this instance was started with.
    pub admin_token: String,
    /// The platform signing key this instance was started with.
    pub platform_key: SigningKey,
    dir: PathBuf,
    child: Option<Child>,
    port: u16,
}

pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Worker {
    /// The instance shared by every test in this binary.
    pub fn shared() -> &'static Worker {
        static SHARED: OnceLock<Worker> = OnceLock::new();
        SHARED.get_or_init(Worker::start)
    }

    /// A fresh instance with its own state directory and secrets.
    pub fn start() -> Worker {
        Worker::start_with(&[])
    }

    /// A fresh instance with extra environment variables (e.g. small limits).
    pub fn start_with(vars: &[(&str, &str)]) -> Worker {
        Worker::start_seeded(vars, None)
    }

    /// A fresh instance whose D1 database gets `seed_sql` after the
    /// migrations, before the worker starts (for data too large to create
    /// through the API in a test, like a 100,000-asset catalogue).
    pub fn start_seeded(vars: &[(&str, &str)], seed_sql: Option<&str>) -> Worker {
        let root = project_root();
        assert!(
            root.join("build/worker/shim.mjs").exists(),
            "build/worker/ is missing: run the tests through scripts/test, which builds the worker once"
        );
        let dir = root.join("target/it").join(format!(
            "{}-{}",
            std::process::id(),
            hex(&crate::random::<4>())
        ));
        fs::create_dir_all(dir.join("state")).expect("state dir");
        let admin_token = format!("op_{}", hex(&crate::random::<24>()));
        let platform_key = SigningKey::from_seed(&crate::random::<32>());
        let keys = serde_json::json!([{
            "seed": base64url_encode(&platform_key.seed()),
            "valid_from": "2026-01-01T00:00:00Z",
            "active": true,
        }]);
        let env_file = dir.join("env");
        let mut f = fs::File::create(&env_file).expect("env file");
        writeln!(f, "ENVIRONMENT=development").unwrap();
        writeln!(f, "ADMIN_TOKEN={admin_token}").unwrap();
        writeln!(f, "PLATFORM_SIGNING_KEYS='{keys}'").unwrap();
        for (k, v) in vars {
            writeln!(f, "{k}={v}").unwrap();
        }
        drop(f);

        let out = wrangler(&root)
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(dir.join("state"))
            .output()
            .expect("run wrangler d1 migrations apply");
        assert!(
            out.status.success(),
            "migrations failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(sql) = seed_sql {
            let file = dir.join("seed.sql");
            fs::write(&file, sql).expect("seed file");
            let out = wrangler(&root)
                .args(["d1", "execute", "DB", "--local", "--yes", "--persist-to"])
                .arg(dir.join("state"))
                .arg("--file")
                .arg(&file)
                .output()
                .expect("run wrangler d1 execute");
            assert!(
                out.status.success(),
                "seeding failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }

        let mut w = Worker {
            base: String::new(),
            admin_token,
            platform_key,
            dir,
            child: None,
            port: free_port(),
        };
        w.spawn();
        w
    }

    fn spawn(&mut self) {
        show_runtime_errors_on_panic(self.dir.join("wrangler.log"));
        let root = project_root();
        let inspector = free_port();
        let log = fs::File::create(self.dir.join("wrangler.log")).expect("log file");
        // wrangler spawns node and two workerd processes: run it in its own
        // process group, and let a watchdog end the group when the test
        // process is gone (statics are never dropped, so Drop alone won't do).
        let script = format!(
            "npx wrangler dev --local --ip 127.0.0.1 --port {port} --inspector-port {inspector} \
             --persist-to '{state}' --env-file '{env}' --show-interactive-dev-session=false & child=$!; \
             while kill -0 {parent} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; kill -- -$$",
            port = self.port,
            state = self.dir.join("state").display(),
            env = self.dir.join("env").display(),
            parent = std::process::id(),
        );
        let child = Command::new("bash")
            .arg("-c")
            .arg(format!(". scripts/env.sh; {script}"))
            .current_dir(&root)
            .env("FAIRTRAIN_SKIP_BUILD", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .process_group(0)
            .spawn()
            .expect("start wrangler dev");
        self.child = Some(child);
        self.base = format!("http://127.0.0.1:{}", self.port);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(90);
        while Instant::now() < deadline {
            if let Ok(r) = Req::get("/healthz").try_send(self) {
                if r.status == 200 {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = fs::read_to_string(self.dir.join("wrangler.log")).unwrap_or_default();
        panic!("wrangler dev did not become healthy within 90 s; its log:\n{log}");
    }

    /// Kill the runtime abruptly (SIGKILL to every process), as a crash would.
    pub fn kill(&mut self) {
        self.signal("-KILL");
    }

    /// Signal the whole process group (node and both workerd processes) and reap it.
    fn signal(&mut self, signal: &str) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args([signal, "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }

    /// Start again on the same state directory and port.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The `fairtrain` CLI, built by scripts/test before the integration tests.
    pub fn cli(&self) -> Command {
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| project_root().join("target"));
        let bin = target.join("debug/fairtrain");
        assert!(
            bin.exists(),
            "{} is missing: scripts/test builds it before the integration tests",
            bin.display()
        );
        let mut c = Command::new(bin);
        c.env("FAIRTRAIN_URL", &self.base)
            .env_remove("FAIRTRAIN_TOKEN");
        c
    }

    /// A scratch directory inside this instance's own directory.
    pub fn scratch(&self, name: &str) -> PathBuf {
        let d = self.dir.join("scratch").join(name);
        fs::create_dir_all(&d).expect("scratch dir");
        d
    }

    /// Resident memory of every process of this runtime (node and workerd), in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.process_group().map(group_rss_kib).unwrap_or(0)
    }

    /// The process group of this runtime (for sampling from another thread).
    pub fn process_group(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Run the Worker's scheduled (cron) handler once, as a cron trigger would.
    pub fn run_cron(&self) {
        let r = Req::get("/cdn-cgi/handler/scheduled?cron=0+*+*+*+*").send(self);
        assert!(
            r.status < 300,
            "scheduled handler: {} {}",
            r.status,
            r.text()
        );
    }

    /// The wrangler log so far, for diagnosing a failure.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.join("wrangler.log")).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.signal("-TERM");
        // A passing test leaves nothing behind: the 1 GiB upload and the
        // 100,000-row states add up to gigabytes over a run, and a full disk
        // fails storage writes (seen as 500s on upload parts). A failing
        // test keeps its state and log for diagnosis.
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

fn wrangler(root: &Path) -> Command {
    let mut c = Command::new("bash");
    c.arg("-c")
        .arg(". scripts/env.sh; exec npx wrangler \"$@\"")
        .arg("wrangler")
        .current_dir(root);
    c.env("FAIRTRAIN_SKIP_BUILD", "1");
    c
}

/// Resident memory of every process in a process group, in KiB.
pub fn group_rss_kib(pgid: u32) -> u64 {
    let pgid = pgid.to_string();
    let mut total = 0;
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let stat = fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised command name: state ppid pgrp ...
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        if after.split_whitespace().nth(2) != Some(pgid.as_str()) {
            continue;
        }
        let status = fs::read_to_string(entry.path().join("status")).unwrap_or_default();
        total += status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    total
}

/// A failing test also prints the errors its runtimes logged: an internal
/// error's cause is logged with the request id its problem document carries,
/// and CI shows nothing else of the runtime.
fn show_runtime_errors_on_panic(log: PathBuf) {
    static LOGS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
    static HOOK: std::sync::Once = std::sync::Once::new();
    if let Ok(mut logs) = LOGS.lock() {
        if !logs.contains(&log) {
            logs.push(log);
        }
    }
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            previous(info);
            let logs = match LOGS.lock() {
                Ok(l) => l.clone(),
                Err(_) => return,
            };
            for path in logs {
                let text = fs::read_to_string(&path).unwrap_or_default();
                if !text.contains("rror") && !text.contains("restarted") {
                    continue;
                }
                // The tail, not only the matching lines: a runtime error's
                // message and its stack are on separate lines.
                let lines: Vec<&str> = text.lines().collect();
                eprintln!("--- the end of {} ---", path.display());
                for l in &lines[lines.len().saturating_sub(40)..] {
                    eprintln!("{l}");
                }
            }
        }));
    });
}
