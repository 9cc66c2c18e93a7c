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
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let root = repo_root();
        let mut child = Command::new("python3")
            .arg(root.join("scripts/delay_proxy.py"))
            .args([port.to_string(), target.to_string(), delay_ms.to_string()])
            .args(hanging.then_some("--hang"))
            .spawn()
            .expect("delay proxy starts");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { port, child };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("delay proxy did not listen on {port}");
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
