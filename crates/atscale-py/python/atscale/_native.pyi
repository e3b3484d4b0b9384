"""Type stubs of atscale's native module (crates/atscale-py/src). Use the
functions of the package `atscale`, which wrap these; units are SI."""

from os import PathLike
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

__version__: str

class Error(Exception):
    """An error atscale reports; its text is the CLI's message (file:line)."""

class Circuit:
    """A netlist or circuit file read once; parameters settable by name."""

    @staticmethod
    def load(path: Union[str, PathLike[str]], *, timeout: float = 600.0) -> Circuit:
        """Reads a netlist (.cir, .sp, any other name) or a circuit file
        (.json, .toml); `.control` blocks are set aside with a warning."""
    @property
    def path(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def warnings(self) -> List[str]: ...
    def summary(self) -> dict:
        """`atscale summary --json` of the circuit as it stands."""
    def parameters(self) -> List[Tuple[str, str, str, float]]:
        """(element, path, unit, value) of every numeric parameter."""
    def get(self, name: str) -> float:
        """A `.param`, an element's value (`R1`, in its unit) or field (`Msn.law.alpha`)."""
    def unit(self, name: str) -> str:
        """The unit of a parameter (`-` for a `.param`)."""
    def set(self, name: str, value: float) -> None:
        """Sets a parameter by name; the circuit is checked at once."""
    def to_json(self) -> str:
        """The circuit as it stands, atscale's JSON form (flat)."""
    def netlist(self) -> str:
        """The ngspice netlist of the circuit as it stands."""

def sim(
    netlist: Union[str, Circuit],
    *,
    tstop: Optional[float] = None,
    probes: Sequence[str] = ...,
    events: Sequence[Tuple[str, float, float]] = ...,
    engine: str = "native",
    reltol: Optional[float] = None,
    max_step: Optional[float] = None,
    timeout: float = 600.0,
    allow_control: bool = False,
    skip_control: bool = False,
) -> Tuple[str, bytes, List[Tuple[str, bytes]], List[str]]:
    """(sim JSON, time as <f8 bytes in s, [(signal, <f8 bytes)], warnings)."""

def verify(
    netlist: Union[str, Circuit],
    *,
    events: Sequence[Tuple[str, float, float]],
    engines: Sequence[str] = ...,
    tol: float = 1e-3,
    tol_abs: Optional[float] = None,
    allow_count_mismatch: bool = False,
    window: Optional[float] = None,
    converged: bool = False,
    probes: Sequence[str] = ...,
    tstop: Optional[float] = None,
    max_step: Optional[float] = None,
    reltol: Optional[float] = None,
    timeout: float = 600.0,
    allow_control: bool = False,
    skip_control: bool = False,
) -> Tuple[str, List[str]]:
    """(verify JSON, warnings)."""

def design(path: Optional[str] = None, spec_json: Optional[str] = None) -> Tuple[str, Circuit]:
    """(design.json text, the physical circuit)."""

def landscape(
    circuit: Circuit, *, membrane: str = "v", range: Optional[Tuple[float, float]] = None, points: int = 1201
) -> str:
    """The classification JSON of `atscale landscape --json`."""

def sweep(
    path: Optional[str] = None,
    spec_json: Optional[str] = None,
    *,
    jobs: Optional[int] = None,
    progress: Optional[Callable[[int, int], Any]] = None,
    shard: Optional[str] = None,
    verify_sample: int = 0,
    max_points: Optional[int] = None,
    timeout: float = 300.0,
) -> Tuple[List[Tuple[str, str]], List[Tuple[str, str, str, Union[bytes, List[int], List[str]]]], str]:
    """(header meta, [(column, unit, kind, data)], the CSV text)."""

def scale_fit(circuit: Circuit, element: str, *, range: Tuple[float, float] = ..., per_decade: int = 4) -> str:
    """`atscale scale fit --json`."""

def scale_coarsen(
    circuit: Circuit,
    element: str,
    *,
    bias: float,
    range: Tuple[float, float] = ...,
    scales: Optional[List[float]] = None,
) -> str:
    """`atscale scale coarsen --json`."""

def scale_bode(circuit: Circuit, element: str, *, v_op: float = 0.0) -> str:
    """`atscale scale bode --json`."""
