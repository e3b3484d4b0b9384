"""Every malformed input the CLI rejects raises `atscale.Error` with the
CLI's own message: never a crash, never silence."""

import json
import math

import pytest

import atscale


def corpus(root):
    """The parser's error corpus (crates/atscale-spice/tests/spice/data/errors.txt)."""
    text = (root / "crates/atscale-spice/tests/spice/data/errors.txt").read_text()
    cases = []
    for block in text.split("=== ")[1:]:
        head, _, message = block.partition("\n")
        cases.append((json.loads(head), message.strip().splitlines()[0]))
    return cases


def python_error(call) -> str:
    with pytest.raises(atscale.Error) as e:
        call()
    return str(e.value)


def test_the_parser_corpus_raises_the_cli_messages(root, cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = corpus(root)
    assert len(cases) >= 50
    named = 0
    for netlist, first_line in cases:
        (tmp_path / "bad.cir").write_text(netlist)
        out = cli.run("sim", "bad.cir", check=False, cwd=tmp_path)
        if out.returncode == 0:
            # The CLI accepts it (run as a file, not parsed alone): so must Python.
            atscale.sim("bad.cir")
            continue
        message = python_error(lambda: atscale.sim("bad.cir"))
        assert message == cli.message(out), netlist
        named += first_line in message
    assert named >= 40, f"only {named} messages carry the corpus's line"


def test_files_that_may_not_be_read(cli, tmp_path):
    (tmp_path / "dir.cir").mkdir()
    (tmp_path / "bin.cir").write_bytes(b"t\nR1 a 0 1\x00\n")
    for path in [tmp_path / "missing.cir", tmp_path / "dir.cir", tmp_path / "bin.cir", "/dev/zero"]:
        message = python_error(lambda: atscale.sim(path))
        assert message == cli.error("sim", path)
        assert message == python_error(lambda: atscale.Circuit.load(path)) or path == "/dev/zero"


def test_bad_circuit_files_name_the_place(tmp_path, cli):
    bad = tmp_path / "c.toml"
    bad.write_text('title = "x"\n[[elements]]\nname = "R1"\nkind = "resistor"\np = "a"\nn = "0"\nr_ohm = "ten"\n')
    message = python_error(lambda: atscale.Circuit.load(bad))
    assert message == cli.error("summary", bad)
    assert f"{bad}:" in message
    # Any other name is read as a netlist, as `atscale sim` reads it.
    weird = tmp_path / "c.xyz"
    weird.write_text("x")
    assert python_error(lambda: atscale.Circuit.load(weird)) == cli.error("sim", weird)


def test_bad_specs_raise_the_cli_messages(root, cli, tmp_path):
    sweep = tmp_path / "s.toml"
    sweep.write_text('design = "nope.toml"\nmetrics = ["firing_rate"]\n')
    assert python_error(lambda: atscale.sweep(sweep)) == cli.error("sweep", sweep, "-o", tmp_path / "o.csv")
    sweep.write_text(f'design = "{root}/docs/examples/tonic-spiking-100hz.toml"\nmetrics = ["speed"]\n')
    assert python_error(lambda: atscale.sweep(sweep)) == cli.error("sweep", sweep, "-o", tmp_path / "o.csv")
    spec = tmp_path / "d.toml"
    spec.write_text('behaviour = "chaotic"\n')
    assert python_error(lambda: atscale.design(spec)) == cli.error("design", spec, "-o", tmp_path / "d")
    assert "unknown variant `chaotic`" in python_error(lambda: atscale.design({"behaviour": "chaotic"}))


def test_bad_arguments(root, cli):
    fhn = root / "netlists/ngspice/fitzhugh_nagumo.cir"
    for kwargs, words in [
        ({"tstop": -1.0}, "tstop"),
        ({"tstop": math.nan}, "tstop"),
        ({"reltol": 2.0}, "reltol"),
        ({"max_step": 0.0}, "max_step"),
        ({"engine": "hspice"}, "engine `hspice`"),
        ({"events": {"v": (1.0, -1.0)}}, "hysteresis"),
        ({"events": {"": 1.0}}, "node name is empty"),
        ({"events": {"v": "high"}}, "threshold"),
        ({"timeout": 0.0}, "timeout"),
        ({"tstop": 1e3, "max_step": 1e-9}, "raise it with --max-steps"),
    ]:
        assert words in python_error(lambda: atscale.sim(fhn, **kwargs)), kwargs
    c = atscale.Circuit.load(fhn)
    assert "neither a .param" in python_error(lambda: c.set("Rx", 1.0))
    assert "finite" in python_error(lambda: c.set("L1", math.inf))
    assert "not a numeric field" in python_error(lambda: c.get("L1.nope"))
    assert "at least two engines" in python_error(lambda: atscale.verify(fhn, events={"v": 1.0}, engines=["native"]))
    assert python_error(lambda: atscale.landscape(fhn, membrane="nowhere")) == cli.error(
        "landscape", fhn, "--membrane", "nowhere"
    )
    assert "frame" in python_error(lambda: atscale.sweep({}, frame="polars"))
