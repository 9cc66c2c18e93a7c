//! Static assets through the real router: precompressed files chosen by the browser's
//! Accept-Encoding, year-long `immutable` caching only for content-hashed builds, pages never
//! cached. The release build's own files are checked in the browser suite (assets.spec.ts).

use crate::common;

use axum::body::Body;
use common::TestApp;
use http::{Request, StatusCode};
use leptos::prelude::LeptosOptions;

const HASHED: &str = "/pkg/shardscope.Zm9vYmFy.wasm";

/// A site with one hashed wasm file and its precompressed twins (different bytes, so the test
/// sees which one was sent).
fn site(hash_files: bool) -> (LeptosOptions, tempdir::Dir) {
    let dir = tempdir::Dir::new();
    let pkg = dir.path.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let name = HASHED.trim_start_matches("/pkg/");
    std::fs::write(pkg.join(name), "raw wasm").unwrap();
    std::fs::write(pkg.join(format!("{name}.br")), "brotli wasm").unwrap();
    std::fs::write(pkg.join(format!("{name}.gz")), "gzip wasm").unwrap();
    let options = LeptosOptions::builder()
        .output_name("shardscope")
        .site_root(dir.path.to_string_lossy().into_owned())
        .hash_files(hash_files)
        .build();
    (options, dir)
}

mod tempdir {
    /// A directory removed when dropped.
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new() -> Self {
            let n: u64 = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64;
            let path =
                std::env::temp_dir().join(format!("shardscope-site-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&path).unwrap();
            Self { path }
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

async fn fetch(app: &TestApp, path: &str, accept: Option<&str>) -> common::Resp {
    let mut b = Request::get(path);
    if let Some(a) = accept {
        b = b.header("accept-encoding", a);
    }
    app.send(b.body(Body::empty()).unwrap()).await
}

fn header<'a>(r: &'a common::Resp, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn hashed_assets_are_precompressed_and_immutable() {
    let (options, _dir) = site(true);
    let app = TestApp::with_site(options, |_| {});

    let br = fetch(&app, HASHED, Some("gzip, deflate, br")).await;
    assert_eq!(br.status, StatusCode::OK);
    assert_eq!(br.body, "brotli wasm");
    assert_eq!(header(&br, "content-encoding"), "br");
    assert_eq!(header(&br, "content-type"), "application/wasm");
    assert!(
        header(&br, "vary")
            .to_ascii_lowercase()
            .contains("accept-encoding")
    );
    assert_eq!(
        header(&br, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&br, "x-content-type-options"), "nosniff");

    let gz = fetch(&app, HASHED, Some("gzip")).await;
    assert_eq!(
        (gz.body.as_str(), header(&gz, "content-encoding")),
        ("gzip wasm", "gzip")
    );

    let raw = fetch(&app, HASHED, None).await;
    assert_eq!(raw.body, "raw wasm");
    assert_eq!(header(&raw, "content-encoding"), "");

    // A file that is not there is not cached for a year (the next build may bring it).
    let missing = fetch(&app, "/pkg/shardscope.other.wasm", Some("br")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(header(&missing, "cache-control"), "no-cache");

    // Pages are never cached, whatever the build.
    let page = fetch(&app, "/login", Some("br")).await;
    assert_eq!(header(&page, "cache-control"), "no-store");
}

#[tokio::test]
async fn unhashed_assets_are_revalidated_not_kept() {
    let (options, _dir) = site(false);
    let app = TestApp::with_site(options, |_| {});
    let r = fetch(&app, HASHED, Some("br")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(header(&r, "cache-control"), "no-cache");
}
