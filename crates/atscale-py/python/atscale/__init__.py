"""atscale from Python: the library behind the ``atscale`` command, in process.

Every function runs the same Rust code as the command of the same name and
returns what its ``--json`` prints, with waveforms and event trains as numpy
arrays. Simulations release the GIL; sweeps run on atscale's own thread pool.
Errors raise :class:`atscale.Error` with the command's message (file and line
included); warnings are issued as :class:`atscale.AtscaleWarning`.

Units are SI throughout: seconds, volts, amperes, farads, hertz, joules.
"""

from __future__ import annotations

import json
import os
import warnings as _warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._native import Circuit, Error, __version__

__all__ = [
    "AtscaleWarning",
    "Circuit",
    "Design",
    "Error",
    "SimResult",
    "SweepTable",
    "design",
    "landscape",
    "scale_bode",
    "scale_coarsen",
    "scale_fit",
    "sim",
    "sweep",
    "verify",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]
Netlist = Union[PathLike, Circuit]
Events = Union[Mapping[str, Union[float, Tuple[float, float]]], Iterable[Tuple[str, float, float]]]


class AtscaleWarning(UserWarning):
    """Something atscale says about a run: a card set aside, a parameter an
    engine does not model as ngspice does."""


def _warn(messages: Iterable[str]) -> None:
    for m in messages:
        _warnings.warn(m, AtscaleWarning, stacklevel=3)


def _array(data: bytes) -> np.ndarray:
    """float64 values sent by the native module as little-endian bytes."""
    return np.frombuffer(data, dtype="<f8").copy()


def _events(events: Optional[Events]) -> List[Tuple[str, float, float]]:
    """``{"v": 1.0}``, ``{"v": (1.0, 0.5)}`` or ``[("v", 1.0, 0.5)]`` as
    (node, threshold V, hysteresis V) triples."""
    if events is None:
        return []
    out: List[Tuple[str, float, float]] = []
    items = events.items() if isinstance(events, Mapping) else ((e[0], tuple(e[1:])) for e in events)
    for node, spec in items:
        if isinstance(spec, (int, float)):
            out.append((str(node), float(spec), 0.0))
        elif isinstance(spec, (tuple, list)) and len(spec) in (1, 2):
            hysteresis = float(spec[1]) if len(spec) == 2 else 0.0
            out.append((str(node), float(spec[0]), hysteresis))
        else:
            raise Error(f"events[{node!r}]: give a threshold in V or (threshold, hysteresis) in V")
    return out


def _netlist(netlist: Netlist) -> Union[str, Circuit]:
    return netlist if isinstance(netlist, Circuit) else os.fspath(netlist)


@dataclass
class SimResult:
    """One engine's run.

    ``time`` is in s; ``signals`` maps each probed signal to its values (V for
    node voltages, A for currents); ``events`` maps each event train to its
    times in s; ``stats`` holds the native solver's work counts (None for
    other engines); ``report`` is what ``atscale sim --json`` prints.
    """

    time: np.ndarray
    signals: Dict[str, np.ndarray]
    events: Dict[str, np.ndarray]
    stats: Optional[Dict[str, Any]]
    engine: str
    tstop: float
    wall_s: float
    unmodelled: List[str]
    report: Dict[str, Any]
    warnings: List[str] = field(default_factory=list)

    def __getitem__(self, signal: str) -> np.ndarray:
        """The values of a probed signal."""
        return self.signals[signal]


def sim(
    netlist: Netlist,
    *,
    tstop: Optional[float] = None,
    probes: Sequence[str] = (),
    events: Optional[Events] = None,
    engine: str = "native",
    reltol: Optional[float] = None,
    max_step: Optional[float] = None,
    timeout: float = 600.0,
    allow_control: bool = False,
    skip_control: bool = False,
) -> SimResult:
    """Simulates a netlist (a path or a :class:`Circuit`) with one engine:
    ``native`` (default), ``ngspice``, ``vacask`` or ``spice21``.

    ``tstop`` and ``max_step`` (s) and ``reltol`` override the netlist's
    analysis; ``events`` are rising crossings, ``{node: threshold_V}`` or
    ``{node: (threshold_V, hysteresis_V)}``; ``timeout`` is in s.
    """
    raw, time, signals, warnings = _native.sim(
        _netlist(netlist),
        tstop=tstop,
        probes=list(probes),
        events=_events(events),
        engine=engine,
        reltol=reltol,
        max_step=max_step,
        timeout=timeout,
        allow_control=allow_control,
        skip_control=skip_control,
    )
    _warn(warnings)
    report = json.loads(raw)
    return SimResult(
        time=_array(time),
        signals={name: _array(values) for name, values in signals},
        events={k: np.asarray(v, dtype=float) for k, v in report["events"].items()},
        stats=report["stats"],
        engine=report["engine"],
        tstop=report["tstop_s"],
        wall_s=report["wall_s"],
        unmodelled=report["unmodelled"],
        report=report,
        warnings=warnings,
    )


def verify(
    netlist: Netlist,
    *,
    events: Events,
    engines: Sequence[str] = ("native", "ngspice"),
    tol: float = 1e-3,
    tol_abs: Optional[float] = None,
    allow_count_mismatch: bool = False,
    window: Optional[float] = None,
    converged: bool = False,
    probes: Sequence[str] = (),
    tstop: Optional[float] = None,
    max_step: Optional[float] = None,
    reltol: Optional[float] = None,
    timeout: float = 600.0,
    allow_control: bool = False,
    skip_control: bool = False,
) -> Dict[str, Any]:
    """Runs a netlist through several engines (the first is the reference)
    and compares their events one by one; returns the report as a dict, the
    JSON ``atscale verify --json`` prints. ``tol`` is the largest |dt|
    relative to the median interval, ``tol_abs`` the same in s."""
    raw, warnings = _native.verify(
        _netlist(netlist),
        events=_events(events),
        engines=list(engines),
        tol=tol,
        tol_abs=tol_abs,
        allow_count_mismatch=allow_count_mismatch,
        window=window,
        converged=converged,
        probes=list(probes),
        tstop=tstop,
        max_step=max_step,
        reltol=reltol,
        timeout=timeout,
        allow_control=allow_control,
        skip_control=skip_control,
    )
    _warn(warnings)
    return json.loads(raw)


@dataclass
class Design:
    """A designed neuron: ``data`` is ``design.json`` (scales, components,
    achieved rate in Hz, ...), ``circuit`` the physical circuit, ready for
    :func:`sim`, :func:`landscape` and :meth:`Circuit.set`."""

    data: Dict[str, Any]
    circuit: Circuit

    def __getitem__(self, key: str) -> Any:
        return self.data[key]


def design(spec: Union[PathLike, Mapping[str, Any]]) -> Design:
    """Designs a neuron to specification: a spec file's path (TOML, as
    ``atscale design``) or the same spec as a dict."""
    if isinstance(spec, Mapping):
        raw, circuit = _native.design(spec_json=json.dumps(spec))
    else:
        raw, circuit = _native.design(path=os.fspath(spec))
    return Design(data=json.loads(raw), circuit=circuit)


def landscape(
    circuit: Netlist,
    *,
    membrane: str = "v",
    range: Optional[Tuple[float, float]] = None,
    points: int = 1201,
) -> Dict[str, Any]:
    """The energy landscape of a membrane at each of its timescales (as
    ``atscale landscape --json``): behaviour, operating point (V) and per
    timescale ``tau_s`` (s; ``inf`` for the coarsest) the I-V curve and
    potential as numpy arrays (``v_volt`` in V, ``current_a`` in A,
    ``potential_j`` in J), critical points and folds.
    ``range`` is (lo, hi) in V; default -3..3 V, or ±3 model units for a
    designed circuit."""
    c = _circuit(circuit)
    out = json.loads(_native.landscape(c, membrane=membrane, range=range, points=points))
    for curve in out.get("curves", []):
        # JSON has no infinity: the coarsest timescale is written as null.
        if curve.get("tau_s") is None:
            curve["tau_s"] = float("inf")
        for key in ("v_volt", "current_a", "potential_j"):
            if key in curve:
                curve[key] = np.asarray(curve[key], dtype=float)
    return out


def _circuit(circuit: Netlist) -> Circuit:
    return circuit if isinstance(circuit, Circuit) else Circuit.load(os.fspath(circuit))


def scale_fit(
    circuit: Netlist, element: str, *, range: Tuple[float, float] = (-3.0, 3.0), per_decade: int = 4
) -> Dict[str, Any]:
    """A nonlinear resistor's conductance fitted on the softplus basis over
    ``range`` (V), as ``atscale scale fit --json``: ``g0_siemens``,
    ``residual_rms``, and the scale plot as arrays (``a_per_volt`` in 1/V,
    ``weight`` dimensionless)."""
    out = json.loads(_native.scale_fit(_circuit(circuit), element, range=range, per_decade=per_decade))
    plot = out["scale_plot"]
    out["a_per_volt"] = np.asarray([p["a_per_volt"] for p in plot], dtype=float)
    out["weight"] = np.asarray([p["weight"] for p in plot], dtype=float)
    return out


def scale_coarsen(
    circuit: Netlist,
    element: str,
    *,
    bias: float,
    range: Tuple[float, float] = (-3.0, 3.0),
    scales: Optional[Sequence[float]] = None,
) -> Dict[str, Any]:
    """Critical points of ``G(v) - I v`` (``bias`` I in A) per Pólya smoothing
    scale (V), as ``atscale scale coarsen --json``, plus the arrays
    ``scale_volt`` and ``critical_points``."""
    out = json.loads(
        _native.scale_coarsen(
            _circuit(circuit), element, bias=bias, range=range, scales=None if scales is None else list(scales)
        )
    )
    out["scale_volt"] = np.asarray([p["scale_volt"] for p in out["fingerprint"]], dtype=float)
    out["critical_points"] = np.asarray([p["critical_points"] for p in out["fingerprint"]], dtype=np.int64)
    return out


def scale_bode(circuit: Netlist, element: str, *, v_op: float = 0.0) -> Dict[str, Any]:
    """Each relaxation state of a memristive element linearised at ``v_op``
    (V), as ``atscale scale bode --json``; each state's ``bode`` is an
    (n, 2) array of log10 ω (rad/s) and log10 |G|."""
    out = json.loads(_native.scale_bode(_circuit(circuit), element, v_op=v_op))
    for state in out["states"]:
        state["bode"] = np.asarray(state["bode"], dtype=float)
    return out


@dataclass
class SweepTable:
    """A sweep's results without pandas: ``columns`` maps each column name
    to a numpy array (float64 with NaN where a point has no value, int64, or
    object for text), ``units`` each name to its unit, ``meta`` the results
    file's header, ``csv`` the text ``atscale sweep`` writes."""

    columns: Dict[str, np.ndarray]
    units: Dict[str, str]
    meta: Dict[str, str]
    csv: str

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def to_pandas(self) -> "Any":
        """A pandas DataFrame with ``attrs["units"]``, ``attrs["meta"]``."""
        import pandas as pd

        df = pd.DataFrame(self.columns)
        df.attrs["units"] = dict(self.units)
        df.attrs["meta"] = dict(self.meta)
        return df


def sweep(
    spec: Union[PathLike, Mapping[str, Any]],
    *,
    jobs: Optional[int] = None,
    progress: Optional[Callable[[int, int], None]] = None,
    shard: Optional[str] = None,
    verify_sample: int = 0,
    max_points: Optional[int] = None,
    timeout: float = 300.0,
    frame: str = "auto",
) -> Any:
    """Runs a sweep (a sweep file's path, or the same spec as a dict whose
    paths are relative to the working folder) on ``jobs`` threads (default:
    all cores). ``progress(done, todo)`` is called as points finish.

    Returns a pandas DataFrame (units in ``df.attrs["units"]``) when pandas
    is installed and ``frame`` is ``"auto"`` or ``"pandas"``, else a
    :class:`SweepTable` of numpy arrays (``frame="numpy"``). The rows are
    those ``atscale sweep`` writes, in point order; ``timeout`` (s) bounds
    each run of each point.
    """
    if frame not in ("auto", "pandas", "numpy"):
        raise Error(f"frame={frame!r}: give 'auto', 'pandas' or 'numpy'")
    kwargs = dict(
        jobs=jobs,
        progress=progress,
        shard=shard,
        verify_sample=verify_sample,
        max_points=max_points,
        timeout=timeout,
    )
    if isinstance(spec, Mapping):
        meta, cols, csv = _native.sweep(spec_json=json.dumps(spec), **kwargs)
    else:
        meta, cols, csv = _native.sweep(path=os.fspath(spec), **kwargs)
    columns: Dict[str, np.ndarray] = {}
    units: Dict[str, str] = {}
    for name, unit, kind, data in cols:
        if kind == "number":
            columns[name] = _array(data)
        elif kind == "integer":
            columns[name] = np.asarray(data, dtype=np.int64)
        else:
            columns[name] = np.asarray(data, dtype=object)
        units[name] = unit
    table = SweepTable(columns=columns, units=units, meta=dict(meta), csv=csv)
    if frame == "numpy":
        return table
    try:
        import pandas  # noqa: F401
    except ImportError:
        if frame == "pandas":
            raise
        return table
    return table.to_pandas()
