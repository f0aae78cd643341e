"""The lessons' claims, measured by the experiments on small fixed seed sets.

Each test checks a RATE over its seeds (as the issue states it), never a
single seed's outcome, plus the mechanics the numbers rest on (gradients
equal to `.grad`, composed weights, bit-identical units). Full-size runs
(50 seeds) are `micrograd-ko experiment NAME`; MICROGRAD_KO_FULL=1 makes
these tests use more seeds.
"""

import itertools
import math
import os

import pytest

from micrograd_ko import datasets, rbm
from micrograd_ko.experiments import (
    EXPERIMENTS,
    deep_xor,
    init_comparison,
    linear_collapse,
    output_and_loss,
    rbm_pretraining,
    vanishing_gradient,
    zero_init,
)
from micrograd_ko.experiments.common import mean_bce
from micrograd_ko.experiments.linear import compose_affine, linear_network
from micrograd_ko.experiments.vanishing import bias_gradient_norms
from micrograd_ko.nn import MLP

FULL = bool(os.environ.get("MICROGRAD_KO_FULL"))
JOBS = 2


def claim(result, fragment):
    """The claim of `result` whose statement contains `fragment` (English results)."""
    found = [c for c in result.claims if fragment in c.statement]
    assert len(found) == 1, [c.statement for c in result.claims]
    return found[0]


# -- 1. vanishing gradient -------------------------------------------------------


@pytest.fixture(scope="module")
def vanishing():
    return vanishing_gradient(seeds=range(50 if FULL else 20), digits_seeds=1, digits_samples=200, lang="en", jobs=JOBS)


def test_sigmoid_ratio_is_at_least_20_on_95_percent_of_seeds(vanishing):
    ratios = vanishing.numbers["ratios"]["sigmoid"]
    assert sum(r >= 20 for r in ratios) / len(ratios) >= 0.95
    assert claim(vanishing, "sigmoid").holds


@pytest.mark.parametrize("setup", ["tanh", "relu"])
def test_tanh_xavier_and_relu_he_ratios_stay_within_0_1_and_10(vanishing, setup):
    ratios = vanishing.numbers["ratios"][setup]
    assert sum(0.1 <= r <= 10 for r in ratios) / len(ratios) >= 0.95


def test_sigmoid_gradient_grows_layer_by_layer_towards_the_output(vanishing):
    layers = vanishing.numbers["median_per_layer"]["sigmoid"]
    assert all(a < b for a, b in itertools.pairwise(layers))
    # Nielsen's setting on digits shows the same shape: first hidden layer smallest
    digits = vanishing.numbers["digits_per_layer"][0]
    assert all(a < b for a, b in itertools.pairwise(digits))


def test_bias_gradient_norms_are_the_norms_of_the_bias_grads():
    X, y = datasets.xor()
    model = MLP(2, [3, 3, 1], activation="sigmoid", init="lecun_normal", bias_init="normal", seed=3)
    norms = bias_gradient_norms(model, mean_bce(model, X, y))
    direct = [math.sqrt(sum(n.b.grad**2 for n in layer.neurons)) for layer in model.layers[:-1]]
    assert norms == pytest.approx(direct, rel=1e-12)
    assert all(n > 0 for n in norms)


# -- 2. deep sigmoid net on XOR ----------------------------------------------------


@pytest.fixture(scope="module")
def deep():
    narrow = deep_xor(seeds=range(20 if FULL else 4), variants=("sigmoid", "tanh"), lang="en", jobs=JOBS)
    wide = deep_xor(seeds=range(10 if FULL else 3), variants=("relu_he_wide",), lang="en", jobs=JOBS)
    return narrow, wide


def test_sigmoid_lecture_network_solves_at_most_5_percent_and_stays_at_ln2(deep):
    numbers = deep[0].numbers["sigmoid"]
    assert numbers["solve_rate"] <= 0.05
    finals = sorted(numbers["final_loss"])
    assert abs(finals[len(finals) // 2] - math.log(2)) < 1e-3
    assert claim(deep[0], "stays at ln 2").holds


def test_tanh_lecture_network_solves_at_least_90_percent(deep):
    assert deep[0].numbers["tanh"]["solve_rate"] >= 0.9


def test_wide_relu_with_he_init_solves_at_least_90_percent(deep):
    assert deep[1].numbers["relu_he_wide"]["solve_rate"] >= 0.9
    assert claim(deep[1], "He initialization").holds


def test_deep_xor_keeps_a_loss_curve_per_seed(deep):
    curves = deep[0].numbers["tanh"]["curves"]
    assert len(curves) == len(deep[0].config["seeds"])
    assert all(c[0] > c[-1] for c in curves)  # tanh learns


def test_width_init_grid_changes_one_thing_at_a_time():
    from micrograd_ko.experiments.deep_xor import VARIANTS, WIDTH_INIT_GRID, lecture_network

    cells = {VARIANTS[v][1:] for v in WIDTH_INIT_GRID}
    assert cells == {(5, "uniform"), (5, "he_normal"), (10, "uniform"), (10, "he_normal")}
    assert all(VARIANTS[v][0] == "relu" for v in WIDTH_INIT_GRID)
    assert [len(layer.neurons) for layer in lecture_network("relu_wide", 0).layers] == [10] * 10 + [1]


def test_deep_xor_rejects_an_unknown_variant():
    with pytest.raises(ValueError, match="unknown variant"):
        deep_xor(seeds=1, variants=("swish",))


# -- 3. zero initialization ----------------------------------------------------------


def test_zero_init_gradients_outputs_and_loss():
    result = zero_init(steps=100, lang="en")
    numbers = result.numbers
    assert numbers["xor_grads"] and all(g == 0.0 for g in numbers["xor_grads"])
    assert numbers["xor_outputs"] == [0.5] * 4
    assert numbers["xor_loss"] == pytest.approx(math.log(2), abs=1e-15)
    # unbalanced labels: weights move, but every hidden layer keeps one distinct unit
    assert numbers["unbalanced_zeros"]["distinct_units"] == [1, 1]
    assert numbers["curves"]["zeros"][-1] < numbers["curves"]["zeros"][0]
    assert numbers["unbalanced_uniform"]["distinct_units"] == [4, 4]
    assert result.all_hold


# -- 4. linear activations ----------------------------------------------------------


def test_ten_linear_layers_are_one_affine_map_and_never_beat_ln2():
    result = linear_collapse(seeds=2, steps=200, lang="en", jobs=JOBS)
    assert max(result.numbers["difference"]) < 1e-12
    assert min(result.numbers["min_loss"]) >= math.log(2) - 1e-12
    assert result.all_hold


def test_compose_affine_matches_the_network_for_a_hand_made_case():
    model = linear_network(depth=2, width=2, seed=0)
    W, b = compose_affine(model)
    x = [0.3, -1.7]
    expected = model(x).data
    assert sum(w * xi for w, xi in zip(W[0], x)) + b[0] == pytest.approx(expected, abs=1e-14)


# -- 5. weight initialization ---------------------------------------------------------


@pytest.fixture(scope="module")
def inits():
    return init_comparison(
        seeds=range(6),
        hist_samples=1000 if FULL else 50,
        train_seeds=10 if FULL else 3,
        train_pairs=(("tanh", "xavier"),),
        deep_samples=200,
        lang="en",
        jobs=JOBS,
    )


def test_sigmoid_activation_histograms_as_in_the_book(inits):
    hist = inits.numbers["histograms"]
    saturated = [layer["saturated"] for layer in hist["sigmoid/normal"]]
    assert sum(saturated) / len(saturated) >= 0.6  # piles up at 0 and 1
    assert max(layer["std"] for layer in hist["sigmoid/small"]) < 0.05  # all near 0.5
    assert max(layer["saturated"] for layer in hist["sigmoid/xavier"]) < 0.1  # spread out


def test_relu_he_keeps_the_spread_and_xavier_shrinks_it(inits):
    he, xavier = inits.numbers["histograms"]["relu/he"], inits.numbers["histograms"]["relu/xavier"]
    assert 0.5 <= he[-1]["std"] / he[0]["std"] <= 2.0
    assert xavier[-1]["std"] / xavier[0]["std"] < 0.5


def test_xavier_helps_tanh_but_not_sigmoid(inits):
    ratio = inits.numbers["gradient_ratio_median"]
    assert 0.1 <= ratio["tanh/xavier"] <= 10
    assert ratio["sigmoid/xavier"] > ratio["sigmoid/normal"] > 20
    solved = inits.numbers["solved"]["tanh/xavier"]
    assert sum(solved) / len(solved) >= 0.9


def test_thirty_relu_layers_xavier_shrinks_he_keeps_far_more(inits):
    deep = inits.numbers["deep_relu_std_ratio_median"]
    assert deep["xavier"] < 1e-4
    assert deep["he"] > 100 * deep["xavier"]


# -- 6. RBM pretraining -------------------------------------------------------------


def test_cd1_lowers_the_reconstruction_error():
    data = [[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 0, 0], [0, 0, 0, 0, 1, 1]] * 10
    machine = rbm.RBM(6, 3, seed=0)
    errors = machine.fit(data, epochs=50, lr=0.5, batch_size=5, seed=0)
    assert errors[-1] < 0.5 * errors[0]


def test_pretrain_writes_the_rbm_weights_into_the_hidden_layers_only():
    X, _ = datasets.xor()
    model = MLP(2, [3, 2, 1], activation="sigmoid", seed=0)
    output_before = [w.data for w in model.layers[-1].neurons[0].w]
    errors = rbm.pretrain(model, X, epochs=5, seed=1)
    again = MLP(2, [3, 2, 1], activation="sigmoid", seed=0)
    rbm.pretrain(again, X, epochs=5, seed=1)
    assert len(errors) == 2 and all(len(e) == 5 for e in errors)
    assert [w.data for w in model.layers[-1].neurons[0].w] == output_before
    assert [p.data for p in model.parameters()] == [p.data for p in again.parameters()]  # same seed, same weights
    first = rbm.RBM(2, 3, seed=0)
    assert [w.data for w in model.layers[0].neurons[0].w] != first.W[0]  # trained, not the starting weights


def test_pretrain_refuses_non_sigmoid_layers_and_data_outside_0_1():
    with pytest.raises(ValueError, match="sigmoid"):
        rbm.pretrain(MLP(2, [3, 1], activation="relu", seed=0), [[0.0, 1.0]])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        rbm.pretrain(MLP(2, [3, 1], activation="sigmoid", seed=0), [[0.0, 2.0]])


def test_rbm_experiment_reports_each_initialization():
    result = rbm_pretraining(
        seeds=2,
        steps=200,
        rbm_epochs=20,
        digits_seeds=1,
        digits_train=150,
        digits_test=100,
        digits_epochs=2,
        digits_rbm_epochs=2,
        lang="en",
        jobs=JOBS,
    )
    assert set(result.numbers["xor"]) == {"uniform", "xavier", "rbm"}
    assert set(result.numbers["digits"]) == {"uniform", "xavier", "rbm"}
    assert all(len(acc) == 2 for n in result.numbers["digits"].values() for acc in n["test_accuracy"])
    assert claim(result, "reconstruction error").holds
    assert [c.holds for c in result.claims[1:]] == [None] * (len(result.claims) - 1)  # measured only


# -- 7. output layer and loss ----------------------------------------------------------


@pytest.fixture(scope="module")
def output():
    return output_and_loss(
        digits_epochs=10 if FULL else 3, moons_epochs=30, regression_epochs=100, lang="en", jobs=JOBS
    )


def test_softmax_cross_entropy_reaches_90_percent_on_digits(output):
    assert output.numbers["digits_test_accuracy"][-1] >= 0.90


def test_bce_gradient_does_not_vanish_when_confidently_wrong(output):
    g = output.numbers["gradient_at_wrong_output"]
    p = 1 / (1 + math.exp(6.0))
    assert g["bce"] == pytest.approx(p - 1, rel=1e-12)
    assert g["mse"] == pytest.approx(2 * (p - 1) * p * (1 - p), rel=1e-12)


def test_mse_regression_fits_sine(output):
    assert output.numbers["regression"]["r2"] >= 0.95


# -- results, registry, demo ---------------------------------------------------------------


def test_results_draw_their_figures_as_svg():
    result = zero_init(steps=20, lang="ko")
    assert result.figure_names
    for key in result.figure_names:
        svg = result.svg(key)
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    with pytest.raises(KeyError, match="loss_curves"):
        result.figure("nope")


def test_log_bar_chart_keeps_its_log_axis_and_marks_a_zero():
    from micrograd_ko.experiments.figures import bar_figure

    fig = bar_figure(["a", "b", "c"], [1e-5, 0.0, 1e19], "t", "y", log_y=True, zero_label="0 (상쇄)")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert len(ax.patches) == 2  # the zero gets no bar ...
    assert [t.get_text() for t in ax.texts] == ["0 (상쇄)"]  # ... but a label where its bar would be


def test_histograms_share_the_books_fixed_height():
    from micrograd_ko.experiments.figures import histogram_grid

    fig = histogram_grid({"x": [[5, 900, 10], [1, 2, 3]], "y": [[0, 0, 50], [7, 7, 7]]}, (0.0, 1.0), "t", "x", ylim=70)
    assert {ax.get_ylim() for ax in fig.axes} == {(0.0, 70.0)}


def test_a_histogram_bin_cut_by_the_fixed_height_is_marked_and_the_title_says_so():
    """A bin taller than ylim was cut with nothing to say so: notebook 06's sigmoid Xavier and He towers read as
    flat-topped plateaus, and 0.01·N(0,1)'s single bin of every value as one no taller than the others."""
    from micrograd_ko.experiments.figures import histogram_grid

    fig = histogram_grid(
        {"x": [[5, 900, 10], [1, 2, 3]], "y": [[0, 0, 50], [70, 71, 7]]}, (0.0, 1.0), "t", "x", ylim=70
    )
    marks = [[tuple(xy) for line in ax.get_lines() for xy in line.get_xydata()] for ax in fig.axes]
    assert marks == [[(0.5, 70.0)], [], [], [(0.5, 70.0)]]  # the bins of 900 and 71; 70 fits exactly
    assert "▲ 세로축보다 높아 위가 잘린 칸" in fig._suptitle.get_text()
    english = histogram_grid({"x": [[900]]}, (0.0, 1.0), "t", "x", ylim=70, lang="en")
    assert "▲ bin taller than the axis, cut at the top" in english._suptitle.get_text()
    whole = histogram_grid({"x": [[5, 9]]}, (0.0, 1.0), "t", "x", ylim=70)
    assert whole._suptitle.get_text() == "t" and not whole.axes[0].get_lines()


def test_stored_measurements_load_with_their_settings():
    from micrograd_ko.experiments import measured
    from micrograd_ko.experiments.deep_xor import WIDTH_INIT_GRID

    grid = measured.load("deep-xor-grid")
    assert set(grid["numbers"]) == set(WIDTH_INIT_GRID)
    assert all(len(n["solved"]) == len(grid["config"]["seeds"]) for n in grid["numbers"].values())
    rbm_full = measured.load("rbm")
    assert set(rbm_full["numbers"]["digits"]) == {"uniform", "xavier", "rbm"}
    digits = measured.load("digits-init")
    assert [len(n["curve"]) for n in digits["numbers"].values()] == [
        digits["config"]["n_train"]
        * digits["config"]["epochs"]
        // (digits["config"]["batch_size"] * digits["config"]["every"])
    ] * 4
    with pytest.raises(ValueError, match="no stored measurement"):
        measured.load("nope")


def test_readme_quotes_the_stored_width_init_grid():
    import re
    from pathlib import Path

    from micrograd_ko.experiments import measured

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if "deep-xor-grid" in line)
    quoted = re.findall(r"너비 (5|10) (U\(-1,1\)|He) (\d+)/(\d+)", row)
    grid = measured.load("deep-xor-grid")["numbers"]
    names = {
        ("5", "U(-1,1)"): "relu",
        ("5", "He"): "relu_he",
        ("10", "U(-1,1)"): "relu_wide",
        ("10", "He"): "relu_he_wide",
    }
    assert len(quoted) == 4
    for width, init, solved, seeds in quoted:
        n = grid[names[width, init]]["solved"]
        assert (int(solved), int(seeds)) == (sum(n), len(n)), (width, init)


def test_readme_quotes_the_stored_rbm_run():
    import re
    import statistics
    from pathlib import Path

    from micrograd_ko.experiments import measured

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| 6 rbm"))
    stored = measured.load("rbm")["numbers"]
    quoted = dict(re.findall(r"(RBM|U\(-1,1\)|Xavier) (\d+\.\d)%", row))
    keys = {"RBM": "rbm", "U(-1,1)": "uniform", "Xavier": "xavier"}
    for label, percent in quoted.items():
        accuracy = statistics.median(run[-1] for run in stored["digits"][keys[label]]["test_accuracy"])
        assert f"{100 * accuracy:.1f}" == percent, label
    assert len(quoted) == 3
    solved = {sum(n["solved"]) for n in stored["xor"].values()}
    assert solved == {0} and f"(0/{len(stored['xor']['rbm']['solved'])})" in row


def _readme_row(start):
    """The line of README.md's table of measured numbers that starts with `start`."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    return next(line for line in readme.splitlines() if line.startswith(start))


def _printed_like(quoted, value):
    """`value` printed the way README printed `quoted`: as many decimals, or as many in an e-notation mantissa.

    Both come back with an ASCII minus, so `_printed_like(q, v) == q.replace("−", "-")` says README shows v.
    """
    quoted = quoted.replace("−", "-")
    if "e" in quoted:
        mantissa, _ = quoted.split("e")
        shown, exponent = f"{value:.{len(mantissa.partition('.')[2])}e}".split("e")
        return f"{shown}e{int(exponent)}"
    return f"{value:.{len(quoted.partition('.')[2])}f}"


def _assert_quotes(pairs):
    for quoted, value in pairs:
        assert _printed_like(quoted, value) == quoted.replace("−", "-"), (quoted, value)


def test_readme_quotes_the_stored_vanishing_run():
    import re
    import statistics

    from micrograd_ko.experiments import measured
    from micrograd_ko.experiments.vanishing import SIGMOID_RATIO

    row = _readme_row("| 1 vanishing")
    stored = measured.load("vanishing")
    numbers = stored["numbers"]
    sigmoid = numbers["ratios"]["sigmoid"]
    found = re.search(
        r"비 ≥ (\d+)이 (\d+)/(\d+) 시드 \(중앙값 (\S+), 최소 (\S+)\); "
        r"tanh\+Xavier (\S+), ReLU\+He (\S+) \(중앙값\)",
        row,
    )
    assert found, row
    threshold, solved, seeds, middle, lowest, tanh, relu = found.groups()
    assert float(threshold) == SIGMOID_RATIO and int(seeds) == len(stored["config"]["seeds"])
    assert int(solved) == sum(r >= SIGMOID_RATIO for r in sigmoid)
    _assert_quotes(
        [
            (middle, statistics.median(sigmoid)),
            (lowest, min(sigmoid)),
            (tanh, numbers["median_ratio"]["tanh"]),
            (relu, numbers["median_ratio"]["relu"]),
        ]
    )
    digits = re.search(r"층별 ([\d., ]+) \(Nielsen", row).group(1).split(", ")
    per_layer = [statistics.median(layer) for layer in zip(*numbers["digits_per_layer"])]
    assert len(digits) == len(per_layer) == 4
    _assert_quotes(zip(digits, per_layer))
    nielsen = re.search(r"\(Nielsen: ([\d., ]+)\)", row).group(1).split(", ")
    assert [float(n) for n in nielsen] == list(numbers["nielsen_mnist"])
    assert f"[2,{','.join(map(str, stored['config']['widths']))},1]" in row


def test_readme_quotes_the_stored_deep_xor_run():
    import re

    from micrograd_ko.experiments import measured

    row = _readme_row("| 2 deep-xor")
    numbers = measured.load("deep-xor")["numbers"]
    found = re.search(
        r"시그모이드 (\d+)/(\d+) \((\d+)개 모두 손실 ln 2\), tanh (\d+)/(\d+), "
        r"ReLU\(너비 5\) (\d+)/(\d+), ReLU\+He\(너비 10\) (\d+)/(\d+)",
        row,
    )
    assert found, row
    counts = [int(n) for n in found.groups()]
    sigmoid, tanh, relu, relu_he_wide = (numbers[v] for v in ("sigmoid", "tanh", "relu", "relu_he_wide"))
    assert counts[:3] == [sum(sigmoid["solved"]), len(sigmoid["solved"]), sum(sigmoid["stuck_at_ln2"])]
    assert counts[1] == counts[2]  # "모두": every seed stuck at ln 2
    for (solved, seeds), n in zip([counts[3:5], counts[5:7], counts[7:9]], (tanh, relu, relu_he_wide)):
        assert (solved, seeds) == (sum(n["solved"]), len(n["solved"]))
    grid = measured.load("deep-xor-grid")["numbers"]  # the same seeds give the same outcomes in both stored runs
    assert all(grid[v]["solved"] == numbers[v]["solved"][: len(grid[v]["solved"])] for v in grid)


def test_readme_quotes_the_stored_zero_init_run():
    import re

    from micrograd_ko.experiments import measured

    row = _readme_row("| 3 zero-init")
    numbers = measured.load("zero-init")["numbers"]
    count = int(re.search(r"기울기 (\d+)개 모두 정확히 0\.0", row).group(1))
    assert count == len(numbers["xor_grads"]) and numbers["xor_nonzero_grads"] == 0
    assert "출력 0.5" in row and set(numbers["xor_outputs"]) == {0.5}
    assert "손실 ln 2" in row and numbers["xor_loss"] == pytest.approx(math.log(2), abs=1e-12)
    assert "은닉 뉴런이 모두 같음" in row and set(numbers["unbalanced_zeros"]["distinct_units"]) == {1}


def test_readme_quotes_the_stored_linear_run():
    import re

    from micrograd_ko.experiments import measured
    from micrograd_ko.experiments.linear import TOLERANCE

    row = _readme_row("| 4 linear")
    stored = measured.load("linear")
    found = re.search(r"선형 층 (\d+)개 = 아핀 변환 하나 \(점 (\d+)개 × 시드 (\d+)개에서 최대 차이 (\S+)\)", row)
    assert found, row
    depth, points, seeds, difference = found.groups()
    assert (int(depth), int(points), int(seeds)) == (
        stored["config"]["depth"],
        stored["config"]["points"],
        len(stored["config"]["seeds"]),
    )
    _assert_quotes([(difference, max(stored["numbers"]["difference"]))])
    assert "XOR 손실은 ln 2 아래로 내려가지 않음" in row
    assert min(stored["numbers"]["min_loss"]) >= math.log(2) - TOLERANCE


def test_readme_quotes_the_stored_init_run():
    import re

    from micrograd_ko.experiments import measured

    row = _readme_row("| 5 init")
    stored = measured.load("init")
    numbers = stored["numbers"]
    found = re.search(
        r"출력의 (\d+)%가 포화; Xavier는 tanh를 돕고\(비 (\S+), (\d+)/(\d+) 해결\) "
        r"시그모이드는 악화\(비 (\S+), N\(0,1\)은 (\S+)\); ReLU (\d+)층: Xavier는 신호를 (\S+)으로, He는 (\S+)로",
        row,
    )
    assert found, row
    saturated, tanh, solved, seeds, sigmoid, normal, depth, xavier, he = found.groups()
    layers = numbers["histograms"]["sigmoid/normal"]
    ratio = numbers["gradient_ratio_median"]
    tanh_solved = numbers["solved"]["tanh/xavier"]
    assert (int(solved), int(seeds)) == (sum(tanh_solved), len(tanh_solved))
    assert int(depth) == stored["config"]["deep_depth"]
    _assert_quotes(
        [
            (saturated, 100 * sum(layer["saturated"] for layer in layers) / len(layers)),
            (tanh, ratio["tanh/xavier"]),
            (sigmoid, ratio["sigmoid/xavier"]),
            (normal, ratio["sigmoid/normal"]),
            (xavier, numbers["deep_relu_std_ratio_median"]["xavier"]),
            (he, numbers["deep_relu_std_ratio_median"]["he"]),
        ]
    )


def test_readme_quotes_the_stored_output_run():
    import re

    from micrograd_ko.experiments import measured

    row = _readme_row("| 7 output")
    numbers = measured.load("output")["numbers"]
    found = re.search(r"테스트 정확도 (\S+)%; z = (\S+)에서 BCE 기울기 (\S+), MSE (\S+) \|", row)
    assert found, row
    accuracy, z, bce, mse = found.groups()
    wrong = numbers["gradient_at_wrong_output"]
    assert float(z.replace("−", "-")) == wrong["z"]
    _assert_quotes([(accuracy, 100 * numbers["digits_test_accuracy"][-1]), (bce, wrong["bce"]), (mse, wrong["mse"])])


def test_digits_init_curves_record_every_mini_batch_and_std_001_starts_at_ln_10():
    from micrograd_ko.experiments.digits_init import digits_init_curves

    runs = digits_init_curves(
        names=("ReLU, std 0.01", "ReLU, He"), n_train=30, n_test=20, epochs=1, batch_size=10, every=1
    )
    assert [len(r["curve"]) for r in runs.values()] == [3, 3]
    assert abs(runs["ReLU, std 0.01"]["curve"][0] - math.log(10)) < 0.01  # all logits ~0: a tenth for each class
    assert all(0.0 <= r["test_accuracy"] <= 1.0 and r["one_digit_share"] >= 0.1 for r in runs.values())
    with pytest.raises(ValueError, match="unknown settings"):
        digits_init_curves(names=("tanh, He",))


def test_registry_names_every_experiment():
    assert list(EXPERIMENTS) == ["vanishing", "deep-xor", "zero-init", "linear", "init", "rbm", "output"]


def test_bad_seeds_are_refused():
    with pytest.raises(ValueError, match="seeds"):
        vanishing_gradient(seeds=0)
    with pytest.raises(ValueError, match="seeds"):
        vanishing_gradient(seeds=["a"])


def test_the_measuring_command_has_help_and_names_a_wrong_name_without_a_traceback():
    """README gives `python -m micrograd_ko.experiments.measured NAME`; '--help' was taken for a name (a traceback)."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "micrograd_ko.experiments.measured"]
    helped = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "deep-xor-grid" in helped.stdout and "저장" in helped.stdout, helped.stderr
    for wrong in (["nope"], []):
        proc = subprocess.run([*command, *wrong], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stderr.strip().splitlines()[-1].count(" / ") >= 1  # Korean / English


def test_the_progress_bar_of_an_experiment_counts_runs_in_the_language_chosen(capsys):
    """The bars showed tqdm's English 'it/s' in Korean mode, where fit's show '에폭/s'."""
    from micrograd_ko import i18n
    from micrograd_ko.experiments.tasks import run_tasks

    for lang, unit in (("ko", "회/s"), ("en", "run/s")):
        with i18n.language(lang):
            assert run_tasks(abs, [-1, -2], 1, progress=True, desc="x") == [1, 2]
        bar = capsys.readouterr().err
        assert unit in bar and "it/s" not in bar


def test_readme_quotes_the_stored_run_times():
    """README's sentences on the stored full-size run times quote the `seconds` of measured-*.json (both languages)."""
    import re
    from pathlib import Path

    from micrograd_ko.experiments import measured

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    seconds = {name: measured.load(name)["seconds"] for name in ("deep-xor-grid", "rbm", "output")}
    korean = re.search(r"`deep-xor-grid` (\d+)초, `rbm` (\d+)초,\s*`output` (\d+)초", readme)
    english = re.search(r"(\d+) s \(`deep-xor-grid`\), (\d+) s \(`rbm`\) and (\d+) s \(`output`\)", readme)
    expected = (seconds["deep-xor-grid"], seconds["rbm"], seconds["output"])
    assert korean and tuple(map(int, korean.groups())) == expected
    assert english and tuple(map(int, english.groups())) == expected
