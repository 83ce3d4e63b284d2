//! Compiles the shared stylesheet with grass (no external binary).

fn main() {
    println!("cargo:rerun-if-changed=../style");
    let css = grass::from_path(
        "../style/main.scss",
        &grass::Options::default().style(grass::OutputStyle::Compressed),
    )
    .unwrap_or_else(|e| panic!("style/main.scss: {e}"));
    let out =
        std::path::PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR")).join("style.css");
    std::fs::write(out, css).expect("write style.css");
}
