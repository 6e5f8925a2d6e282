//! Bundles the cell editor (CodeMirror 6, `editor/src/cell_editor.js` and the npm packages
//! `editor/package-lock.json` pins) into one ES module, `editor/dist/cell_editor.js`, with
//! Debian's `esbuild`. `src/editor/bindings.rs` imports that file through wasm-bindgen, which
//! reads it when the crate compiles (on every target) and copies it into trunk's `dist/` as a
//! snippet, so every cargo build of this crate needs it first: trunk's, clippy's, the tests'.
//! `scripts/bootstrap.sh` installs esbuild and the npm packages (`npm ci`); nothing here
//! downloads anything.
//!
//! The grammars (`editor/src/languages.js`) are in that file as one function that builds
//! them when a cell first needs one ([`languages_module`]): built as the bundle loaded, they
//! took ≈ 25 ms of the page's start before the wasm could run (docs/benchmarks.md, "Session
//! 19"), for cells that are plain text until a Jupyter kernel names its language.

use std::path::Path;
use std::process::Command;

fn main() {
    let editor = Path::new("editor");
    println!("cargo:rerun-if-changed=editor/src");
    println!("cargo:rerun-if-changed=editor/package-lock.json");
    // Deleted or edited by hand: made again.
    println!("cargo:rerun-if-changed=editor/dist/cell_editor.js");
    println!("cargo:rerun-if-changed=editor/dist/languages.js");
    println!("cargo:rerun-if-env-changed=ESBUILD");
    if !editor.join("node_modules/.package-lock.json").exists() {
        fail(
            "frontend/editor/node_modules is missing: run `scripts/bootstrap.sh run` \
             (it runs `npm ci` in frontend/editor)",
        );
    }
    // Bundled into OUT_DIR first, then moved into place only when it changed: another cargo
    // build (trunk's wasm build beside clippy's host build) may be reading the file right
    // now, and a rename is atomic where a rewrite is not ([`place`]).
    let out_dir =
        std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let bundled = out_dir.join("cell_editor.js");
    let esbuild = std::env::var("ESBUILD").unwrap_or_else(|_| "esbuild".into());
    // Beside the packages it imports, where esbuild finds them.
    let languages = languages_module(&esbuild, editor, &out_dir);
    place(editor, "languages.js", languages.as_bytes());
    // `cell_editor.js` imports the grammars' module by this name.
    let alias = "--alias:wirebook-languages=./dist/languages.js";
    let args = ["src/cell_editor.js", alias, "--format=esm", "--minify"];
    let bundle = run_esbuild(&esbuild, editor, &args, &bundled);
    place(editor, "cell_editor.js", &bundle);
}

/// `editor/dist/{name}` made to hold `bytes`, if it does not already.
fn place(editor: &Path, name: &str, bytes: &[u8]) {
    let target = editor.join("dist").join(name);
    if std::fs::read(&target).ok().as_deref() != Some(bytes) {
        let staged = editor.join(format!("dist/.{name}.{}", std::process::id()));
        let placed = std::fs::create_dir_all(editor.join("dist"))
            .and_then(|()| std::fs::write(&staged, bytes))
            .and_then(|()| std::fs::rename(&staged, &target));
        if let Err(e) = placed {
            fail(&format!("could not write {}: {e}", target.display()));
        }
    }
}

/// The packages the grammars share with the editor. They must be the editor's own instances
/// (a language's facets and node props are compared by identity), so the grammars' bundle
/// leaves them out and is given the editor's.
const SHARED: [&str; 6] = [
    "@codemirror/state",
    "@codemirror/view",
    "@codemirror/language",
    "@codemirror/autocomplete",
    "@lezer/common",
    "@lezer/highlight",
];

/// `editor/src/languages.js` as an ES module whose `languages()` builds the grammars on its
/// first call and returns its exports. esbuild bundles them twice with [`SHARED`] left out:
/// as an ES module, whose import lines name what they use of each shared package, and as
/// CommonJS, minified, which becomes the body of a function given a `require` that answers
/// with those names, imported from the editor's instances. A bundle's top level runs when the
/// page loads it; a function's body only when called.
fn languages_module(esbuild: &str, editor: &Path, out_dir: &Path) -> String {
    let external: Vec<String> = SHARED.iter().map(|p| format!("--external:{p}")).collect();
    let mut args: Vec<&str> = vec!["src/languages.js"];
    args.extend(external.iter().map(String::as_str));
    // Not minified: an import statement to a line.
    let esm_args = [args.as_slice(), &["--format=esm"]].concat();
    let esm = run_esbuild(
        esbuild,
        editor,
        &esm_args,
        &out_dir.join("languages.esm.js"),
    );
    let esm = String::from_utf8(esm).unwrap_or_else(|_| fail("the grammars' bundle is not UTF-8"));
    let mut used: Vec<(&str, Vec<&str>)> = Vec::new();
    for line in esm.lines().filter(|l| l.starts_with("import ")) {
        let (names, package) = line
            .strip_prefix("import {")
            .and_then(|rest| rest.strip_suffix("\";"))
            .and_then(|rest| rest.split_once("} from \""))
            .unwrap_or_else(|| {
                fail(&format!(
                    "the grammars' bundle imports as build.rs does not read: {line}"
                ))
            });
        let names = names
            .split(',')
            .map(|n| n.split(" as ").next().unwrap_or(n).trim());
        match used.iter_mut().find(|(p, _)| *p == package) {
            Some((_, all)) => all.extend(names),
            None => used.push((package, names.collect())),
        }
    }
    args.extend(["--format=cjs", "--minify"]);
    let body = run_esbuild(esbuild, editor, &args, &out_dir.join("languages.cjs"));
    let body =
        String::from_utf8(body).unwrap_or_else(|_| fail("the grammars' bundle is not UTF-8"));

    let mut module = String::from("// Made by frontend/build.rs from editor/src/languages.js.\n");
    let mut shared = String::from("const SHARED = {\n");
    for (i, (package, names)) in used.iter_mut().enumerate() {
        names.sort_unstable();
        names.dedup();
        let local = |name: &str| format!("shared{i}_{name}");
        let imports: Vec<String> = names
            .iter()
            .map(|n| format!("{n} as {}", local(n)))
            .collect();
        module += &format!("import {{ {} }} from '{package}';\n", imports.join(", "));
        let fields: Vec<String> = names.iter().map(|n| format!("{n}: {}", local(n))).collect();
        shared += &format!("  '{package}': {{ {} }},\n", fields.join(", "));
    }
    module += &shared;
    module += "};\n";
    module +=
        "function bundle(require) {\nconst module = { exports: {} }, exports = module.exports;\n";
    module += &body;
    module += "\nreturn module.exports;\n}\nlet built;\n";
    module +=
        "export function languages() {\n  return (built ??= bundle((name) => SHARED[name]));\n}\n";
    module
}

/// esbuild's bundle of `args` (an entry point, its format and options), read back from
/// `outfile`.
fn run_esbuild(esbuild: &str, editor: &Path, args: &[&str], outfile: &Path) -> Vec<u8> {
    // One file, modern syntax (wasm already needs a browser newer than ES2020).
    let mut command = Command::new(esbuild);
    command
        .current_dir(editor)
        .args(["--bundle", "--target=es2020"]);
    command.args(["--legal-comments=none", "--log-level=warning"]);
    command
        .args(args)
        .arg(format!("--outfile={}", outfile.display()));
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => fail(&format!("{esbuild} failed ({status}) bundling {}", args[0])),
        Err(e) => fail(&format!(
            "could not run {esbuild} ({e}): install Debian's esbuild (`scripts/bootstrap.sh run`)"
        )),
    }
    std::fs::read(outfile).unwrap_or_else(|e| fail(&format!("{e} reading {}", outfile.display())))
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
