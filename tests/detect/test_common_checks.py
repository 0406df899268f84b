"""The contract every detector in the registry keeps, checked alike for all of them (in the manner of
scikit-learn's `check_estimator`): parameters stored as given and nothing else done in `__init__`,
clone/get_params/set_params/repr agree, fitting twice or with the same seed gives the same scores, the input is
left as it was, and a model saved to a folder and loaded back scores exactly as before.

Small synthetic sessions and tiny networks (the `tiny_sessions` and `tiny_params` fixtures), so that the
checks belong to the fast tier and need nothing from the shared data folder."""

from __future__ import annotations

import copy
import inspect

import numpy as np
import pytest

from anomalygen.deploy.folder import ModelFolder, load_model, save_model
from anomalygen.detect import DETECTORS, make_detector

NAMES = list(DETECTORS)
# a session of each awkward kind beside ordinary ones: empty, one event, an unseen event, a long repeat
ODD = [[], ["A"], ["never-seen"], ["A", "B", "Z", "D"], ["A", "B", *["C"] * 40, "D"]]


def _fitted(name, tiny_sessions, tiny_params):
    X, y = tiny_sessions
    return make_detector(name, tiny_params).fit(X, y)


def _probe(X):
    return X[:30] + ODD


def _scores(det, X):
    return det.decision_function(_probe(X))


def _other_value(v):
    """A value of the same kind as `v`, different from it: what a caller might pass instead of the default."""
    if isinstance(v, bool):
        return not v
    if isinstance(v, int):
        return v + 1
    if isinstance(v, float):
        return v / 2 if v else 0.5
    if isinstance(v, str):
        return v + "-x"
    if isinstance(v, tuple):
        return (*v, *v[:1])
    return v


@pytest.mark.parametrize("name", NAMES)
def test_init_stores_the_parameters_as_given_and_does_nothing_else(name, tiny_params):
    cls = DETECTORS[name]
    sig = inspect.signature(cls.__init__).parameters
    given = {k: v for k, v in tiny_params.items() if k in cls.param_names()}
    # every other parameter too, set to something other than its default, so that none can be silently replaced
    given.update({k: _other_value(sig[k].default) for k in cls.param_names() if k not in given})
    if "event_texts" in given:
        given["event_texts"] = {"A": "open block", "D": "close block"}
    det = cls(**given)
    got = det.get_params()
    assert set(got) == set(cls.param_names())
    for k, v in given.items():
        assert got[k] is v, f"{name}.{k} was changed in __init__ ({v!r} -> {got[k]!r})"
    learned = [a for a in vars(det) if a.endswith("_") and not a.startswith("_")]
    assert not learned, f"{name}.__init__ sets learned attributes {learned}"
    assert not hasattr(det, "threshold_")


@pytest.mark.parametrize("name", NAMES)
def test_clone_get_params_set_params_and_repr_agree(name, tiny_params):
    det = make_detector(name, tiny_params)
    params = det.get_params()
    twin = det.clone()
    assert type(twin) is type(det) and twin is not det
    assert twin.get_params() == params and repr(twin) == repr(det)
    for k, v in params.items():
        if isinstance(v, (dict, list)):  # mutable values are copied, never shared
            assert twin.get_params()[k] is not v
    # the repr is the constructor call that builds an equal detector
    rebuilt = eval(repr(det), {type(det).__name__: type(det)})
    assert rebuilt.get_params() == params
    # set_params with what get_params gave changes nothing, returns the detector, and refuses unknown names
    assert det.set_params(**params) is det and det.get_params() == params
    changed = {k: _other_value(v) for k, v in params.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
    det.set_params(**changed)
    assert det.get_params() == {**params, **changed}
    assert twin.get_params() == params
    with pytest.raises(ValueError, match="no parameter"):
        det.set_params(not_a_parameter=1)


@pytest.mark.parametrize("name", NAMES)
def test_fit_returns_self_and_twice_gives_the_same_scores(name, tiny_sessions, tiny_params):
    X, y = tiny_sessions
    det = make_detector(name, tiny_params)
    assert det.fit(X, y) is det
    first, first_pred, first_cut = _scores(det, X), det.predict(_probe(X)), det.threshold_
    assert first.shape == (len(_probe(X)),) and np.isfinite(first).all()
    det.fit(X, y)  # a refit starts afresh: nothing carried over from the first fit
    np.testing.assert_array_equal(_scores(det, X), first)
    np.testing.assert_array_equal(det.predict(_probe(X)), first_pred)
    assert det.threshold_ == first_cut
    np.testing.assert_array_equal(_scores(det, X), first)  # scoring changes nothing either


@pytest.mark.parametrize("name", NAMES)
def test_fit_and_scoring_leave_the_input_as_it_was(name, tiny_sessions, tiny_params):
    X, y = tiny_sessions
    X_before, y_before = copy.deepcopy(X), y.copy()
    det = make_detector(name, tiny_params).fit(X, y)
    probe = _probe(X)
    probe_before = copy.deepcopy(probe)
    det.decision_function(probe)
    det.predict(probe)
    det.tune_threshold(probe, np.array([0] * 30 + [1] * len(ODD)))
    assert X_before == X and probe == probe_before
    np.testing.assert_array_equal(y, y_before)
    assert y.dtype == y_before.dtype


@pytest.mark.parametrize("name", [n for n in NAMES if "random_state" in DETECTORS[n].param_names()])
def test_the_same_seed_gives_identical_scores(name, tiny_sessions, tiny_params):
    X, _ = tiny_sessions
    a = _fitted(name, tiny_sessions, {**tiny_params, "random_state": 7})
    _fitted(name, tiny_sessions, {**tiny_params, "random_state": 8})  # another fit between them shares no state
    b = _fitted(name, tiny_sessions, {**tiny_params, "random_state": 7})
    np.testing.assert_array_equal(_scores(a, X), _scores(b, X))
    assert a.threshold_ == b.threshold_


@pytest.mark.parametrize("name", NAMES)
def test_saved_and_loaded_model_scores_identically(name, tiny_sessions, tiny_params, tmp_path):
    X, _ = tiny_sessions
    det = _fitted(name, tiny_sessions, tiny_params)
    det.threshold_ = det.threshold_ + 0.25  # a tuned cut is saved too, not recomputed
    manifest = {"detect": {"format": "hdfs", "sessions_by": "id", "idle_lines": 10}}  # what `detect` reads back
    save_model(tmp_path / "model", ModelFolder(det, manifest, [], {}, {}))
    back = load_model(tmp_path / "model").detector
    assert type(back) is type(det) and back.get_params() == det.get_params()
    assert back.threshold_ == det.threshold_
    np.testing.assert_array_equal(_scores(back, X), _scores(det, X))
    np.testing.assert_array_equal(back.predict(_probe(X)), det.predict(_probe(X)))
