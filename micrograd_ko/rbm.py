"""Restricted Boltzmann machines (RBM) and layer-wise pretraining of a sigmoid MLP.

Before ReLU and careful initializers, deep sigmoid networks were trained by
first *pretraining* them one layer at a time (Hinton, Osindero & Teh 2006,
"A fast learning algorithm for deep belief nets"): the first hidden layer is
trained as an RBM on the inputs, its hidden probabilities become the data for
the next RBM, and so on. The learned weights and hidden biases then serve as
the 초깃값 (initial values) of the MLP, which is trained by 역전파 as usual.

An RBM is not trained by backpropagation: contrastive divergence (CD-1)
compares the correlations <v h> of the data with those of a one-step
reconstruction, so this module works on plain floats, not on `Value`s.
Where compile's C form is on (a C compiler at hand), `cd1_step`'s arithmetic
runs as C (`rbm_cd1.c`: the same operations in the same order, so the same
bits, for finite numbers); the loop here is the reference it is tested
against, and runs whatever the C code is not sure of.

    v0 --W--> h0 (sampled) --W^T--> v1 (probabilities) --W--> h1
    dW = lr * (h0 v0^T - h1 v1^T) / batch
"""

from __future__ import annotations

import functools
import hashlib
import numbers
import random
from collections.abc import Iterable, Sequence
from importlib import resources
from itertools import chain, compress
from math import isfinite
from operator import mul
from typing import TYPE_CHECKING, Any

from .engine import sigmoid_of as _sigmoid
from .i18n import bilingual, particle

if TYPE_CHECKING:
    from .nn import MLP

__all__ = ["RBM", "pretrain"]


class RBM:
    """A Bernoulli RBM with `n_visible` visible and `n_hidden` hidden units.

    `W[j][i]` connects hidden unit j to visible unit i, the same layout as a
    layer's neurons (`layer.neurons[j].w[i]`), so the weights can be copied
    into an MLP layer as they are. Weights start small (N(0, 0.01^2), as in
    Hinton's "A Practical Guide to Training RBMs").
    """

    def __init__(self, n_visible: int, n_hidden: int, seed: float | None = None, std: float = 0.01) -> None:
        n_visible, n_hidden = _count(n_visible, "n_visible"), _count(n_hidden, "n_hidden")
        std = _positive(std, "std")
        rng = random.Random(seed)
        self.W = [[rng.gauss(0.0, std) for _ in range(n_visible)] for _ in range(n_hidden)]
        self.b_visible = [0.0] * n_visible
        self.b_hidden = [0.0] * n_hidden

    @property
    def n_visible(self) -> int:
        return len(self.b_visible)

    @property
    def n_hidden(self) -> int:
        return len(self.b_hidden)

    # The sums below are `sum(map(mul, row, v))` rather than the textbook
    # `sum(w * x for w, x in zip(row, v))`: the same products, added in the same
    # order by the same `sum()`, so every bit is the same, but without the
    # Python-level generator step per term that took most of the time.

    def hidden_probs(self, v: Sequence[float]) -> list[float]:
        """P(h_j = 1 | v) for every hidden unit."""
        _check_length(v, self.n_visible, "v")
        return self._hidden_probs(v)

    def visible_probs(self, h: Sequence[float]) -> list[float]:
        """P(v_i = 1 | h) for every visible unit."""
        _check_length(h, self.n_hidden, "h")
        return self._visible_probs(h, list(zip(*self.W)))

    def _hidden_probs(self, v: Sequence[float]) -> list[float]:
        return [_sigmoid(sum(map(mul, row, v)) + c) for row, c in zip(self.W, self.b_hidden)]

    def _visible_probs(self, h: Sequence[float], columns: Sequence[Sequence[float]]) -> list[float]:
        # columns[i] = (W[0][i], W[1][i], ...) are unit i's weights: row i of W^T.
        return [_sigmoid(sum(map(mul, column, h)) + b) for column, b in zip(columns, self.b_visible)]

    def cd1_step(self, batch: Sequence[Sequence[float]], lr: float, rng: random.Random) -> float:
        """One contrastive-divergence (CD-1) update on a mini-batch.

        Returns the mean squared reconstruction error of the batch, the usual
        (rough) sign that the RBM is learning.
        """
        n_h, n_v = self.n_hidden, self.n_visible
        lr = _positive(lr, "lr")
        if not batch:
            raise ValueError("RBM: " + bilingual("미니배치가 비어 있습니다", "the mini-batch is empty"))
        for v0 in batch:
            _check_length(v0, n_v, "v")
        draws = [rng.random() for _ in range(len(batch) * n_h)]  # h0's samples, in the order the loop uses them
        kernel = _cd1_in_c()
        if kernel is not None:  # the same arithmetic in C (rbm_cd1.c); NotImplemented where this loop must decide
            error = kernel.cd1(self.W, self.b_visible, self.b_hidden, batch, draws, lr)
            if error is not NotImplemented:
                return error
        uniform = iter(draws)
        columns = list(zip(*self.W))  # W^T, taken once: W changes only at the end of the step
        # h0_sample is all 0.0 and 1.0, so W^T h0_sample is the sum of the weights of the hidden
        # units that fired: w * 1.0 is w, and the textbook's w * 0.0 terms are zeros, which change
        # a sum at most in the sign of a zero result (lost in `+ b` and the sigmoid). Bit for bit
        # the same and no multiplications, for finite weights: inf * 0.0 is nan, so a weight that
        # is inf or nan keeps the products.
        only_fired = all(map(isfinite, chain.from_iterable(self.W)))
        dW = [[0.0] * n_v for _ in range(n_h)]
        db_v = [0.0] * n_v
        db_h = [0.0] * n_h
        error = 0.0
        for v0 in batch:
            h0 = self._hidden_probs(v0)
            h0_sample = [1.0 if next(uniform) < p else 0.0 for p in h0]
            if only_fired:
                v1 = [_sigmoid(sum(compress(column, h0_sample)) + b) for column, b in zip(columns, self.b_visible)]
            else:
                v1 = self._visible_probs(h0_sample, columns)
            h1 = self._hidden_probs(v1)
            # Plain loops on purpose: each `+=` rounds once, in the textbook's order (sum() would not:
            # from Python 3.12 it compensates its rounding errors), and a comprehension is no faster.
            for j in range(n_h):
                row, a, b = dW[j], h0[j], h1[j]
                for i in range(n_v):
                    row[i] += a * v0[i] - b * v1[i]
                db_h[j] += a - b
            for i in range(n_v):
                db_v[i] += v0[i] - v1[i]
                error += (v0[i] - v1[i]) ** 2
        scale = lr / len(batch)
        for j in range(n_h):
            row, d = self.W[j], dW[j]
            for i in range(n_v):
                row[i] += scale * d[i]
            self.b_hidden[j] += scale * db_h[j]
        for i in range(n_v):
            self.b_visible[i] += scale * db_v[i]
        return error / (len(batch) * n_v)

    def fit(
        self,
        data: Iterable[Iterable[float]],
        epochs: int = 10,
        lr: float = 0.1,
        batch_size: int = 10,
        seed: float | None = None,
    ) -> list[float]:
        """Train with CD-1 on `data` (rows of numbers in [0, 1]).

        Returns the mean reconstruction error of each epoch: `epochs=0`
        trains nothing and returns `[]` (the data is still checked).
        """
        epochs, lr, batch_size = _check_training(epochs, lr, batch_size)
        data = _check_data(data, self.n_visible)
        rng = random.Random(seed)
        order = list(range(len(data)))
        history = []
        for _ in range(epochs):
            rng.shuffle(order)
            total = 0.0
            for start in range(0, len(order), batch_size):
                batch = [data[k] for k in order[start : start + batch_size]]
                total += self.cd1_step(batch, lr, rng) * len(batch)
            history.append(total / len(data))
        return history


@functools.lru_cache(maxsize=1)
def _cd1_text() -> tuple[str, str]:
    """(module name, C text) of rbm_cd1.c."""
    text = resources.files(__package__).joinpath("rbm_cd1.c").read_text(encoding="utf-8")
    name = "_mk_native_rbm_" + hashlib.sha1(text.encode()).hexdigest()[:16]
    return name, f'#define MODULE_NAME "{name}"\n#define INIT_FUNCTION PyInit_{name}\n' + text


def _cd1_in_c() -> Any:
    """The module of rbm_cd1.c: `cd1_step`'s arithmetic in C, built (or loaded from disk) once, as compile's C
    form is; None where that is off (MICROGRAD_KO_NATIVE=0) or there is no C compiler."""
    from .compiler.native import build

    if build.compiler() is None:
        return None
    name, text = _cd1_text()
    return build.module(text, name)


def _count(n: object, name: str) -> int:
    """`n` if it is a positive int (a bool is not: RBM(True, 3) is a slip), else a bilingual error naming `name`."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(
            "RBM: " + bilingual(f"{name}은(는) 정수여야 합니다: {n!r}", f"{name} must be an int, got {n!r}")
        )
    if n < 1:
        raise ValueError(
            "RBM: " + bilingual(f"{name}은(는) 1 이상이어야 합니다: {n!r}", f"{name} must be at least 1, got {n!r}")
        )
    return n


def _positive(x: object, name: str) -> float:
    """`x` as a float if it is a finite number above 0 (a learning rate, a standard deviation), else an error."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(
            "RBM: " + bilingual(f"{name}은(는) 숫자여야 합니다: {x!r}", f"{name} must be a number, got {x!r}")
        )
    number = float(x)
    if not (isfinite(number) and number > 0):
        raise ValueError(
            "RBM: "
            + bilingual(
                f"{name}은(는) 0보다 큰 유한한 수여야 합니다: {x!r}",
                f"{name} must be a finite number above 0, got {x!r}",
            )
        )
    return number


def _check_training(epochs: object, lr: object, batch_size: object) -> tuple[int, float, int]:
    """The training settings of `RBM.fit` and `pretrain`, checked before anything is trained."""
    if isinstance(epochs, bool) or not isinstance(epochs, int):
        raise TypeError(
            "RBM: " + bilingual(f"epochs는 정수여야 합니다: {epochs!r}", f"epochs must be an int, got {epochs!r}")
        )
    if epochs < 0:
        raise ValueError(
            "RBM: "
            + bilingual(f"epochs는 0 이상이어야 합니다: {epochs!r}", f"epochs must be at least 0, got {epochs!r}")
        )
    return epochs, _positive(lr, "lr"), _count(batch_size, "batch_size")


def _check_length(values: Sequence[float], n: int, name: str) -> None:
    if len(values) != n:
        raise ValueError(
            "RBM: "
            + bilingual(
                f"{name}의 길이 {particle(str(len(values)), '이/가')} 뉴런 수({n})와 다릅니다",
                f"{name} has length {len(values)}, expected {n}",
            )
        )


def _check_data(data: Iterable[Iterable[float]], n_visible: int) -> list[list[float]]:
    try:
        data = list(data)  # read once (a generator too), so a bad row can be looked for again
    except TypeError:
        raise TypeError(
            "RBM: "
            + bilingual(
                f"데이터는 숫자 목록들의 목록이어야 합니다 (받은 것: {type(data).__name__})",
                f"the data must be a list of rows of numbers, got {type(data).__name__}",
            )
        ) from None
    try:
        rows = [list(map(float, row)) for row in data]
    except (TypeError, ValueError):  # not numbers: find the row, to name it
        rows = [_row(row, k) for k, row in enumerate(data)]
    if not rows:
        raise ValueError("RBM: " + bilingual("데이터가 비어 있습니다", "no data"))
    for k, row in enumerate(rows):
        if len(row) != n_visible:
            raise ValueError(
                f"RBM: data[{k}]: "
                + bilingual(
                    f"입력 길이 {particle(str(len(row)), '이/가')} 보이는 뉴런 수({n_visible})와 다릅니다",
                    f"input length {len(row)} != n_visible {n_visible}",
                )
            )
        if any(not 0.0 <= x <= 1.0 for x in row):
            bad = next(x for x in row if not 0.0 <= x <= 1.0)
            raise ValueError(
                f"RBM: data[{k}]: "
                + bilingual(
                    f"입력은 0과 1 사이의 값(확률)이어야 합니다 (받은 값 {bad!r}); 먼저 [0, 1]로 조정하세요",
                    f"inputs must lie in [0, 1] (probabilities), got {bad!r}; rescale them first",
                )
            )
    return rows


def _row(row: object, k: int) -> list[float]:
    """Row `k` of the data as floats, or an error naming the row, or the entry, that is not a number."""
    try:
        entries = list(row)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(
            f"RBM: data[{k}]: "
            + bilingual(
                f"숫자의 목록이어야 합니다 (받은 것: {type(row).__name__})",
                f"expected a list of numbers, got {type(row).__name__}",
            )
        ) from None
    floats = []
    for i, x in enumerate(entries):
        try:
            floats.append(float(x))
        except (TypeError, ValueError):
            raise TypeError(
                f"RBM: data[{k}][{i}]: " + bilingual(f"숫자가 아닙니다: {x!r}", f"expected a number, got {x!r}")
            ) from None
    return floats


def pretrain(
    model: MLP,
    X: Sequence[Sequence[float]],
    epochs: int = 10,
    lr: float = 0.1,
    batch_size: int = 10,
    seed: float | None = None,
) -> list[list[float]]:
    """Layer-wise RBM pretraining of every hidden layer of a sigmoid MLP, in place.

    Hidden layer k becomes an RBM trained on the hidden probabilities of
    layer k-1 (on `X` itself for the first layer); its weights and hidden
    biases overwrite the layer's `w` and `b`. The output layer keeps its
    initial values: it is learned afterwards by backpropagation (fine-tuning).

    Returns one list of per-epoch reconstruction errors per hidden layer.
    `epochs=0` trains nothing and changes no weight: one `[]` per hidden layer.
    """
    epochs, lr, batch_size = _check_training(epochs, lr, batch_size)
    layers = getattr(model, "layers", None)
    if not isinstance(layers, list) or not all(hasattr(layer, "neurons") for layer in layers):
        raise TypeError(
            "pretrain: "
            + bilingual(
                f"nn.MLP(..., activation='sigmoid') 같은 MLP가 필요합니다 (받은 것: {type(model).__name__})",
                f"expected an MLP such as nn.MLP(..., activation='sigmoid'), got {type(model).__name__}",
            )
        )
    hidden = layers[:-1]
    if not hidden:
        raise ValueError("pretrain: " + bilingual("은닉층이 없는 모델입니다", "the model has no hidden layer"))
    for k, layer in enumerate(hidden):
        if layer.activation != "sigmoid":
            raise ValueError(
                "pretrain: "
                + bilingual(
                    f"RBM 사전학습은 sigmoid 은닉층에만 맞습니다 (은닉층 {k}: {layer.activation!r})",
                    f"RBM pretraining needs sigmoid hidden layers (hidden layer {k} is {layer.activation!r})",
                )
            )
    if epochs == 0:  # the RBMs' untrained starting weights would only replace the model's own
        _check_data(X, len(hidden[0].neurons[0].w))
        return [[] for _ in hidden]
    rng = random.Random(seed)  # one generator: the same seed gives the same weights
    data = X
    histories = []
    for layer in hidden:
        rbm = RBM(len(layer.neurons[0].w), len(layer.neurons), seed=rng.random())
        histories.append(rbm.fit(data, epochs=epochs, lr=lr, batch_size=batch_size, seed=rng.random()))
        layer.set_weights(rbm.W, rbm.b_hidden)
        data = [rbm.hidden_probs(v) for v in data]
    return histories
