//! scripts/delay_proxy.py driven from tests: a slow or hanging TCP peer on demand.

use std::path::PathBuf;
use std::process::Command;

/// scripts/delay_proxy.py in front of a port; killed (by PID) on drop.
pub struct DelayProxy {
    pub port: u16,
    child: std::process::Child,
}

impl DelayProxy {
    pub fn start(target: u16, delay_ms: u64) -> Self {
        Self::spawn(target, delay_ms, false)
    }

    /// A proxy that accepts connections and never answers (until [`DelayProxy::hang`]`(false)`).
    pub fn hanging(target: u16) -> Self {
        Self::spawn(target, 0, true)
    }

    /// Swallow every byte from now on (true), or forward again (false).
    pub fn hang(&self, on: bool) {
        let signal = if on { "-USR1" } else { "-USR2" };
        let ok = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill runs")
            .success();
        assert!(ok, "signal the proxy");
        // The signal is handled by the proxy's event loop: give it a moment.
        std::thread::sleep(std::time::Duration::from_millis(100));
    }

    fn spawn(target: u16, delay_ms: u64, hanging: bool) -> Self {
        use std::io::BufRead;
        let root = repo_root();
        // Port 0: the proxy binds a port the kernel chooses and prints it (no port is picked,
        // released and bound again, which another process could take in between).
        let mut child = Command::new("python3")
            .arg(root.join("scripts/delay_proxy.py"))
            .args(["0".to_string(), target.to_string(), delay_ms.to_string()])
            .args(hanging.then_some("--hang"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("delay proxy starts");
        let stdout = child.stdout.take().expect("the proxy's stdout");
        let mut line = String::new();
        let read = std::io::BufReader::new(stdout).read_line(&mut line);
        let port = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse::<u16>().ok());
        match port {
            Some(port) => Self { port, child },
            None => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("delay proxy did not say where it listens: {read:?} {line:?}");
            }
        }
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The repository root, from the root crate's tests or from server/'s.
fn repo_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    if here.join("scripts/delay_proxy.py").exists() {
        here
    } else {
        here.parent().expect("workspace root").to_path_buf()
    }
}
