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
