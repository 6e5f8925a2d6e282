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
    // Deleted or edited by hand: made again.
    println!("cargo:rerun-if-changed=editor/dist/cell_editor.js");
    println!("cargo:rerun-if-env-changed=ESBUILD");
    if !editor.join("node_modules/.package-lock.json").exists() {
        fail(
            "frontend/editor/node_modules is missing: run `scripts/bootstrap.sh run` \
             (it runs `npm ci` in frontend/editor)",
        );
    }
    // Bundled into OUT_DIR first, then moved into place only when it changed: another cargo
    // build (trunk's wasm build beside clippy's host build) may be reading the file right
    // now, and a rename is atomic where a rewrite is not.
    let out_dir =
        std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let bundled = out_dir.join("cell_editor.js");
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
        ])
        .arg(format!("--outfile={}", bundled.display()))
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
    let bundle =
        std::fs::read(&bundled).unwrap_or_else(|e| fail(&format!("{e} reading the bundle")));
    let target = editor.join("dist/cell_editor.js");
    if std::fs::read(&target).ok().as_deref() != Some(bundle.as_slice()) {
        let staged = editor.join(format!("dist/.cell_editor.js.{}", std::process::id()));
        let placed = std::fs::create_dir_all(editor.join("dist"))
            .and_then(|()| std::fs::write(&staged, &bundle))
            .and_then(|()| std::fs::rename(&staged, &target));
        if let Err(e) = placed {
            fail(&format!("could not write {}: {e}", target.display()));
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
