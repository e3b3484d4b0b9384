# Sourced by the evidence scripts (with $here set to the repository root):
# sets ATSCALE, the atscale command they run, unless the caller set it:
# `atscale` on PATH, else the release build of this repository through cargo.
if [ -z "${ATSCALE:-}" ]; then
    if command -v atscale >/dev/null 2>&1; then
        ATSCALE=atscale
    else
        ATSCALE="cargo run --quiet --release --manifest-path $here/Cargo.toml --bin atscale --"
    fi
fi

# output_dir DIR: creates DIR and prints its absolute path (the scripts cd
# elsewhere, or hand the path to runs in other folders).
output_dir() {
    mkdir -p "$1"
    (cd "$1" && pwd)
}
