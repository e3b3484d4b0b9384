#!/usr/bin/env bash
# Checks that the workspace builds with the rust-version Cargo.toml declares:
# installs that toolchain with rustup when it is missing (minimal profile),
# then runs `cargo check` on every target with it, in target/msrv.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[ -n "$version" ] || { echo "error: no rust-version in Cargo.toml" >&2; exit 1; }
command -v rustup >/dev/null || { echo "error: rustup is needed to check rust-version $version (https://rustup.rs)" >&2; exit 1; }
if ! rustup run "$version" rustc --version >/dev/null 2>&1; then
    echo "installing Rust $version (the declared rust-version) with rustup"
    rustup toolchain install "$version" --profile minimal --no-self-update
fi
echo "checking the workspace with Rust $version"
cargo "+$version" check --workspace --all-targets --locked --target-dir target/msrv
