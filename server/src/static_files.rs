//! Static assets: `/pkg/*` (the wasm bundle, its JS glue, the stylesheet) served from the site
//! root, precompressed (`.br`, `.gz` written by `cargo leptos build --release --precompress`) when
//! the browser accepts it, and cached for a year (`immutable`) when the build hashed the file
//! names (`LEPTOS_HASH_FILES=true`, release builds): a new build has new names, so a cached copy is
//! never stale. Unhashed (debug) assets are revalidated on every use instead.

use std::path::{Path, PathBuf};

use leptos::prelude::LeptosOptions;
use tower_http::services::ServeDir;

/// The service behind `/pkg`.
pub fn pkg_service(options: &LeptosOptions) -> ServeDir {
    let dir = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}

/// `Cache-Control` for a successful static response.
pub fn cache_control(path: &str, hashed_names: bool) -> &'static str {
    if path.starts_with("/pkg/") && hashed_names {
        "public, max-age=31536000, immutable"
    } else if path.starts_with("/pkg/") {
        "no-cache"
    } else {
        // favicon and the like: unhashed, rarely changed.
        "public, max-age=86400"
    }
}

/// Where Leptos looks for the build's hash file: beside the running binary.
pub fn hash_file_path(options: &LeptosOptions) -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .unwrap_or_default()
        .join(options.hash_file.as_ref())
}

/// The stylesheet's URL for this build: `/pkg/shardscope.<hash>.css` with hashed names.
pub fn stylesheet_href(options: &LeptosOptions) -> Result<String, String> {
    let base = format!("/{}/{}", options.site_pkg_dir, options.output_name);
    if !options.hash_files {
        return Ok(format!("{base}.css"));
    }
    let path = hash_file_path(options);
    let text = std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "LEPTOS_HASH_FILES is true but the build's hash file {} cannot be read ({e}); build \
             with scripts/build --release and ship the hash file beside the binary",
            path.display()
        )
    })?;
    css_hash(&text)
        .map(|h| format!("{base}.{h}.css"))
        .ok_or_else(|| format!("{} names no css hash", path.display()))
}

/// The `css: HASH` line of a cargo-leptos hash file.
fn css_hash(text: &str) -> Option<&str> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim() == "css")
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_are_immutable_and_others_revalidate() {
        assert_eq!(
            cache_control("/pkg/shardscope.abc.wasm", true),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control("/pkg/shardscope.wasm", false), "no-cache");
        assert_eq!(cache_control("/favicon.ico", true), "public, max-age=86400");
    }

    #[test]
    fn reads_the_css_hash() {
        let text = "js: AAA\nwasm: BBB\ncss: CcC-_1\n";
        assert_eq!(css_hash(text), Some("CcC-_1"));
        assert_eq!(css_hash("js: x\n"), None);
    }
}
