"""Choosing how often an arm adds new behaviour, on validation, from a behaviour the training does hold: what each
trial trains on, where it is judged, what is chosen, and that the test set plays no part."""

from __future__ import annotations

import numpy as np
import pytest

from anomalygen.core.datasets import Session
from anomalygen.detect.base import BaseDetector
from anomalygen.evaluate import arms as A
from anomalygen.evaluate import calibrate as C
from anomalygen.evaluate.harness import EvalConfig, run_evaluation
from anomalygen.synthesis.novel import REQUEST, THREAD, NovelStatement

FITTED: list[list[list[str]]] = []


class Vocabulary(BaseDetector):
    """Flags a session holding an event its normal training sessions never showed; remembers what it saw."""

    supervised = False

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    def fit(self, X, y=None):
        FITTED.append([list(x) for x in X])
        self.vocab_ = {e for x, lab in zip(X, np.asarray(y), strict=True) if lab == 0 for e in x}
        self.threshold_ = 0.5
        return self

    def decision_function(self, X):
        return np.array([float(any(e not in self.vocab_ for e in x)) for x in X])


class NewBehaviour:
    """A stand-in session model: copies of the bases, `novel_share` of them ending in one behaviour of `offer`
    that no base shows (with `each`: each such behaviour in `novel_share` of them on its own)."""

    def __init__(self, offer: list[list[str]], novel_share: float = 0.5, each: bool = False):
        self.offer, self.novel_share, self.each = offer, novel_share, each

    def at_novel_share(self, share: float, each: bool | None = None) -> NewBehaviour:
        return NewBehaviour(self.offer, share, self.each if each is None else each)

    def compose(self, bases, n, seed, avoid=()):
        rng = np.random.default_rng(seed)
        vocab = {e for b in bases for e in b}
        new = [b for b in self.offer if not set(b) & vocab]
        out = []
        for _ in range(n):
            s = list(bases[int(rng.integers(len(bases)))])
            if self.each:
                for b in new:
                    if rng.random() < self.novel_share:
                        s += b
            elif new and rng.random() < self.novel_share:
                s += new[int(rng.integers(len(new)))]
            out.append(s)
        return out


def sessions() -> list[Session]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(600):
        label = int(i % 10 == 0)
        ev = ["open", "write", "close"]
        if rng.random() < 0.3:
            ev += ["verify"]  # held by the training: the calibration behaviour
        if rng.random() < 0.4:
            ev += ["purge", "gone"]  # withheld from training: the tested behaviour
        if label:
            ev.insert(1, "crash")
        out.append(Session(f"s{i}", label, ev, None, None, i, "test", has_event_ids=True))
    return out


def evaluate(calibrate, arms=("baseline", "synthetic", "inventory-random"), shares=(0.0, 0.5, 1.0)):
    FITTED.clear()
    src = A.SyntheticSource(
        "synthetic", [["open", "crash"]], np.array([1]), composer=NewBehaviour([["verify"], ["purge", "gone"]])
    )
    cfg = EvalConfig(
        models=["vocab"],
        seeds=[0, 1],
        train_fractions=[0.5],
        arms=list(arms),
        val_min_normal=0,
        val_min_anomalous=0,
        withhold={"deletion": ["purge", "gone"]},
        calibrate=calibrate,
        calibrate_shares=list(shares),
    )
    inventory = ["open", "write", "close", "verify", "purge", "gone", "crash"]
    return run_evaluation(
        cfg, sessions(), {"synthetic": src}, {}, factory=lambda n, p: Vocabulary(p["random_state"]), inventory=inventory
    )


def test_the_share_is_chosen_on_validation_from_a_behaviour_the_training_holds():
    res = evaluate({"verification": ["verify"]})
    rows = {(r["arm"], r["seed"]): r for r in res.runs}
    for seed in (0, 1):
        syn = rows[("synthetic", seed)]
        assert syn["calibrated_on"] == "verification"
        # without new behaviour the trial flags every validation session that verifies; half the sessions
        # given it already teach the detector everything, and ties go to the smaller share
        scores = dict(pair.split(":") for pair in syn["calibration_scores"].split())
        assert float(scores["0"]) < float(scores["0.5"]) == float(scores["1"])
        assert syn["share_chosen"] == 0.5 and syn["share_per_behaviour"] is True
        assert 0 < syn["n_train_calibration"] < syn["n_train_real"]
        # the final training gets the arm at that share from the full training sessions: the withheld
        # behaviour, which the trials' bases lacked too, is what the added sessions bring
        assert syn["added_with_deletion"] > 0.2 and syn["fpr_novel"] == 0.0
        inv = rows[("inventory-random", seed)]
        assert inv["share_chosen"] in (0.5, 1.0) and inv["share_per_behaviour"] is False  # its own one knob
        assert "share_chosen" not in rows[("baseline", seed)]
    assert res.info["calibration"]["behaviours"]["verification"]["keys"] == ["verify"]


def test_trials_train_without_the_calibration_behaviour():
    evaluate({"verification": ["verify"]}, arms=("baseline", "synthetic"), shares=(0.0,))
    # per seed: baseline, one trial, the final training; the trial is the only one with no real verification
    assert len(FITTED) == 6
    trials = [X for X in FITTED if not any("verify" in x for x in X)]
    assert len(trials) == 2
    assert all(not {"purge", "gone"} & set(x) for X in trials for x in X)


def test_a_calibration_behaviour_the_training_lacks_is_reported_not_used():
    res = evaluate({"also-deletion": ["purge"]})
    syn = [r for r in res.runs if r["arm"] == "synthetic"]
    assert syn and all("share_chosen" not in r for r in syn)
    assert all(r["calibration_skipped"] == "no validation normal session holds a calibration behaviour" for r in syn)


def test_no_calibration_leaves_the_arms_as_they_were():
    plain = evaluate({})
    again = evaluate({})
    assert [r["fpr_novel"] for r in plain.runs] == [r["fpr_novel"] for r in again.runs]
    assert all("share_chosen" not in r and "calibration_skipped" not in r for r in plain.runs)


def test_plan_draws_on_training_and_validation_only():
    y = np.array([0, 0, 0, 0, 1, 0, 0, 1, 0, 0])
    held = np.array([1, 0, 1, 0, 0, 1, 0, 0, 0, 1], dtype=bool)
    tr, va = np.array([0, 1, 2, 3, 4]), np.array([5, 6, 7])
    made = []

    def make(s, idx):
        made.append((s, tuple(idx)))
        return A.Addition([], np.zeros(0, dtype=np.int64), [])

    cal, why = C.plan(["v"], [1.0, 0.0], held, tr, va, y, make)
    assert why == "" and cal is not None
    assert cal.shares == [0.0, 1.0]
    assert list(cal.tr) == [1, 3, 4] and list(cal.va_fit) == [6, 7] and list(cal.va) == [5, 6, 7]
    assert {idx for _, idx in made} == {(1, 3, 4), (0, 1, 2, 3, 4)}  # no test index (8, 9) anywhere
    none, why = C.plan(["v"], [0.5], held, tr, np.array([6, 7]), y, make)
    assert none is None and "validation" in why


def test_choice_and_shares():
    assert C.choose([0.2, 0.5, 0.5]) == 1
    assert C.choose([-1.0, -1.0]) == 0
    assert C.parse_shares("1, 0.5,0,0.5") == [0.0, 0.5, 1.0]
    for bad in ("", "x", "1.5"):
        with pytest.raises(ValueError, match="--calibrate-shares"):
            C.parse_shares(bad)


def test_inventory_random_share_keeps_the_default_stream_and_copies_the_rest():
    X = [["a", "b"], ["a", "c"]] * 20
    y = np.zeros(len(X), dtype=np.int64)
    default = A.inventory_random(X, y, ["u", "v"], 50, 0, seed=3)
    assert A.inventory_random(X, y, ["u", "v"], 50, 0, seed=3, share=1.0).X == default.X
    none = A.inventory_random(X, y, ["u", "v"], 50, 0, seed=3, share=0.0)
    assert all(x in X for x in none.X)
    half = A.inventory_random(X, y, ["u", "v"], 400, 0, seed=3, share=0.5)
    assert 0.35 < np.mean([bool({"u", "v"} & set(x)) for x in half.X]) < 0.65


def test_knob_names_the_arms_that_add_new_behaviour():
    comp = A.SyntheticSource("synthetic", [], np.zeros(0), composer=NewBehaviour([], 0.25))
    pool = A.SyntheticSource("whole-path", [], np.zeros(0))
    sources = {"synthetic": comp, "whole-path": pool}
    assert A.knob("synthetic", sources) == 0.25
    assert A.knob("inventory-random", sources) == 1.0
    assert A.knob("whole-path", sources) is None
    assert A.knob("real-duplicate", sources) is None


@pytest.mark.parametrize(
    "args, says",
    [
        (["--calibrate", "verification"], "--calibrate 'verification': expected NAME=EVENT"),
        (["--calibrate", "v=E2", "--calibrate-shares", "0,2"], "--calibrate-shares: 2 is outside [0, 1]"),
        (["--calibrate", "auto", "--calibrate", "v=E2"], "--calibrate auto chooses the behaviour itself"),
        # the other comma-separated numbers are checked the same way
        (["--train-fractions", "0,0.5"], "--train-fractions: 0 is outside (0, 1]"),
        (["--ratios", "1,x"], "--ratios: expected comma-separated numbers, got '1,x'"),
    ],
)
def test_cli_refuses_a_bad_calibration_in_one_line(tmp_path, args, says):
    import typer
    from typer.testing import CliRunner

    from anomalygen.evaluate import cli

    ds = tmp_path / "d.jsonl"
    ds.write_text('{"block_id": "a", "label": 0, "templates": ["x"]}\n')
    app = typer.Typer()
    app.callback()(lambda: None)
    cli.register(app)
    r = CliRunner().invoke(app, ["evaluate", "--dataset", str(ds), "--out", str(tmp_path / "o"), *args])
    assert r.exit_code == 2
    assert says in " ".join(r.output.split()) and "Traceback" not in r.output


OFFER = {
    "verify": NovelStatement("verify", "Scanner.run", THREAD, False, "why"),
    "purge": NovelStatement("purge", "Server.delete", REQUEST, True, "why", "gone"),
    "gone": NovelStatement("gone", "Worker.run", THREAD, True, "why"),
    "open": NovelStatement("open", "Server.open", REQUEST, False, "why"),
}


class Offered(NewBehaviour):
    """A session model that also says which statements it could add (`SessionModel.novel`)."""

    def __init__(self, offer, novel_share=0.5, each=False):
        super().__init__(offer, novel_share, each)
        self.novel = OFFER

    def at_novel_share(self, share, each=None):
        return Offered(self.offer, share, self.each if each is None else each)


def test_auto_calibration_picks_the_offered_behaviour_the_training_holds_in_the_most_sessions_up_to_half():
    assert C.units(OFFER) == [frozenset({"gone", "purge"}), frozenset({"open"}), frozenset({"verify"})]
    assert C.units(OFFER, {"purge": "E23"}) == [frozenset({"E23", "gone"}), frozenset({"open"}), frozenset({"verify"})]
    FITTED.clear()
    src = A.SyntheticSource("synthetic", [["open", "crash"]], np.array([1]), composer=Offered([["verify"]]))
    cfg = EvalConfig(
        models=["vocab"],
        seeds=[0],
        train_fractions=[0.5],
        arms=["baseline", "synthetic"],
        val_min_normal=0,
        val_min_anomalous=0,
        withhold={"deletion": ["purge", "gone"]},
        calibrate_auto=True,
    )
    res = run_evaluation(cfg, sessions(), {"synthetic": src}, {}, factory=lambda n, p: Vocabulary(p["random_state"]))
    (syn,) = [r for r in res.runs if r["arm"] == "synthetic"]
    # `open` is in every session (more than half), `purge`/`gone` are withheld (in none): `verify` it is
    assert syn["calibrated_on"] == "auto(verify)" and syn["share_chosen"] == 0.5
    assert res.info["calibration"]["behaviours"] == C.AUTO


def test_auto_calibration_without_a_session_model_says_so():
    res = evaluate({}, arms=("baseline", "inventory-random"))
    assert res.info["calibration"] == {}
    FITTED.clear()
    cfg = EvalConfig(models=["vocab"], seeds=[0], arms=["baseline", "inventory-random"], calibrate_auto=True)
    res = run_evaluation(
        cfg, sessions(), {}, {}, factory=lambda n, p: Vocabulary(p["random_state"]), inventory=["open", "x"]
    )
    assert res.info["calibration"]["skipped"] == "no session model offers new behaviour"
    assert all("share_chosen" not in r for r in res.runs)


def test_summary_counts_the_choices_and_says_what_was_not_calibrated():
    res = evaluate({"verification": ["verify"]})
    md = C.calibration_md(res.runs, res.info["calibration"])
    assert "verification = verify" in md
    assert "| 0.5 | synthetic | 2 | 0 | 2 | 0 |" in md
    skipped = evaluate({"also-deletion": ["purge"]})
    md = C.calibration_md(skipped.runs, skipped.info["calibration"])
    assert "| train fraction |" not in md
    assert "Not calibrated (the arm's own share kept): no validation normal session holds" in md
    assert C.calibration_md([], {}) == ""
    auto = C.calibration_md([], {"behaviours": C.AUTO, "shares": [0.0], "skipped": "no session model offers it"})
    assert "per cell" in auto and "no session model offers it" in auto


def test_auto_calibration_skips_a_behaviour_the_session_model_does_not_reproduce():
    rng = np.random.default_rng(1)
    X, y = [], []
    for i in range(300):
        ev = ["open", "write", "close"]
        if rng.random() < 0.2:
            ev += ["verify"]
        if rng.random() < 0.4:
            ev += ["scan", "scan-warning"]  # real scans print a line the model never offers as normal
        X.append(ev)
        y.append(int(i % 10 == 0))
    y_arr, tr = np.array(y), np.arange(300)
    units = [frozenset({"verify"}), frozenset({"scan"})]

    def source(offer):
        return A.SyntheticSource("synthetic", [], np.zeros(0, dtype=np.int64), composer=NewBehaviour(offer))

    # by share of sessions alone, scan; the model's scans lack the warning its real sessions hold: verify
    assert C.Auto(units, X).pick(tr, y_arr)[0] == ["auto(scan)"]
    auto = C.Auto(units, X, source([["verify"], ["scan"]]))
    assert auto.reproduced(frozenset({"scan"}), tr, y_arr) == 0.0
    assert auto.reproduced(frozenset({"verify"}), tr, y_arr) == 1.0
    names, held = auto.pick(tr, y_arr)
    assert names == ["auto(verify)"] and held.tolist() == ["verify" in x for x in X]
    # a model that offers the warning as well reproduces scans
    assert C.Auto(units, X, source([["scan", "scan-warning"]])).pick(tr, y_arr)[0] == ["auto(scan)"]
    # and one that reproduces neither leaves the cell uncalibrated, saying why
    why = C.Auto(units, X, source([["other"]])).pick(tr, y_arr)
    assert isinstance(why, str) and "reproduced" in why


def test_a_calibrated_session_model_share_is_per_behaviour(monkeypatch):
    asked = []
    original = NewBehaviour.at_novel_share

    def spy(self, share, each=None):
        asked.append((share, each))
        return original(self, share, each)

    monkeypatch.setattr(NewBehaviour, "at_novel_share", spy)
    res = evaluate({"verification": ["verify"]}, arms=("baseline", "synthetic"))
    # every trial and final addition asks for its share per behaviour
    assert asked and {each for _, each in asked} == {True} and {s for s, _ in asked} == {0.0, 0.5, 1.0}
    assert all(r["share_per_behaviour"] for r in res.runs if r["arm"] == "synthetic")
    asked.clear()
    plain = evaluate({}, arms=("baseline", "synthetic"))
    assert not asked and all("share_per_behaviour" not in r for r in plain.runs)  # the model's own setting


@pytest.mark.parametrize("flag, each", [([], True), (["--calibrate-any"], False)])
def test_cli_calibrates_per_behaviour_unless_told_otherwise(tmp_path, monkeypatch, flag, each):
    import typer
    from typer.testing import CliRunner

    from anomalygen.evaluate import api, cli

    seen = []

    def fake(req):
        seen.append(req.config)
        raise ValueError("stop here")

    monkeypatch.setattr(api, "evaluate", fake)
    ds = tmp_path / "d.jsonl"
    ds.write_text('{"block_id": "a", "label": 0, "templates": ["x"]}\n')
    app = typer.Typer()
    app.callback()(lambda: None)
    cli.register(app)
    args = ["evaluate", "--dataset", str(ds), "--out", str(tmp_path / "o"), "--calibrate", "v=E2", *flag]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2 and "stop here" in r.output
    assert seen[0].calibrate == {"v": ["E2"]} and seen[0].calibrate_each is each
