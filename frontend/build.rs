//! Bundles the cell editor (CodeMirror 6, `editor/src/cell_editor.js` and the npm packages
//! `editor/package-lock.json` pins) into one ES module, `editor/dist/cell_editor.js`, with
//! Debian's `esbuild`. `src/editor/bindings.rs` imports that file through wasm-bindgen, which
//! reads it when the crate compiles (on every target) and copies it into trunk's `dist/` as a
//! snippet, so every cargo build of this crate needs it first: trunk's, clippy's, the tests'.
//! `scripts/bootstrap.sh` installs esbuild and the npm packages (`npm ci`); nothing here
//! downloads anything.

use std::path::Path;
use std::process::Command;

fn main() {
    let editor = Path::new("editor");
    println!("cargo:rerun-if-changed=editor/src");
    println!("cargo:rerun-if-changed=editor/package-lock.json");
    println!("cargo:rerun-if-env-changed=ESBUILD");
    if !editor.join("node_modules/.package-lock.json").exists() {
        fail(
            "frontend/editor/node_modules is missing: run `scripts/bootstrap.sh run` \
             (it runs `npm ci` in frontend/editor)",
        );
    }
    // Minified, one file, modern syntax (wasm already needs a browser newer than ES2020).
    let esbuild = std::env::var("ESBUILD").unwrap_or_else(|_| "esbuild".into());
    let status = Command::new(&esbuild)
        .current_dir(editor)
        .args([
            "src/cell_editor.js",
            "--bundle",
            "--format=esm",
            "--minify",
            "--target=es2020",
            "--legal-comments=none",
            "--log-level=warning",
            "--outfile=dist/cell_editor.js",
        ])
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!(
            "{esbuild} failed ({status}) bundling the cell editor"
        )),
        Err(e) => fail(&format!(
            "could not run {esbuild} ({e}): install Debian's esbuild (`scripts/bootstrap.sh run`)"
        )),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
